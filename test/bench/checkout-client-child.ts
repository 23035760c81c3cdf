/**
 * The POS side of the checkout bench, in its own process (a real POS is another machine): the
 * parent sends `{ phase, clients, lines, codes }` over IPC, this process posts sales of `lines`
 * codes each (every code once) with `clients` requests in flight and answers
 * `{ latencies, elapsedMs }`. Keeping the load
 * generator out of the terminal's process means the parent's CPU time is the terminal's alone.
 */
import { Agent, request } from 'node:http';

interface Job {
  phase: string;
  clients: number;
  lines: number;
  /** Sellable codes from the bench's registry: `lines` per sale. */
  codes: string[];
}

const [port, token] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function post(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port: Number(port),
        method: 'POST',
        path: '/api/v1/sales',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function run(job: Job): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = [];
  const count = Math.floor(job.codes.length / job.lines);
  let sent = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: job.clients }, async () => {
      while (sent < count) {
        const at = sent++ * job.lines;
        const body = JSON.stringify({
          externalRef: `bench-${job.phase}-${at}`,
          lines: job.codes.slice(at, at + job.lines).map((data) => ({ data })),
        });
        const t0 = performance.now();
        const status = await post(body);
        latencies.push(performance.now() - t0);
        if (status !== 201) throw new Error(`sale answered ${status}`);
      }
    }),
  );
  return { latencies, elapsedMs: performance.now() - start };
}

process.on('message', (job: Job) => {
  run(job).then(
    (result) => process.send?.({ ok: true, ...result }),
    (error: unknown) => process.send?.({ ok: false, message: String(error) }),
  );
});
process.send?.({ ready: true });
