import { describe, expect, it } from 'vitest';
import { VeritermError } from '../../../terminal/errors.js';
import { RequestClient } from '../../../terminal/sync/request-client.js';
import { PendingRequests, RequestTimeoutError } from '../../../terminal/threads/pending-requests.js';
import { startWorker } from '../../../terminal/threads/start-worker.js';
import { WorkerRequests } from '../../../terminal/threads/worker-requests.js';

// A named caller, so its frame can be found in the stacks below.
function fetchChunkSeven(pending: PendingRequests<string, number>, timeoutMs?: number): Promise<number> {
  return pending.wait('c7', 'registry chunk 7 of r1', timeoutMs);
}

describe('PendingRequests', () => {
  it('a timeout rejects with a RequestTimeoutError naming the request, with the caller’s frame', async () => {
    const pending = new PendingRequests<string, number>({ timeoutCode: 'chunk_timeout' });
    const error = await fetchChunkSeven(pending, 20).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toBeInstanceOf(VeritermError);
    const timeout = error as RequestTimeoutError;
    expect(timeout.code).toBe('chunk_timeout');
    expect(timeout.request).toBe('registry chunk 7 of r1');
    expect(timeout.timeoutMs).toBe(20);
    expect(timeout.message).toBe('registry chunk 7 of r1: no answer within 20 ms');
    expect(timeout.stack).toMatch(/^RequestTimeoutError: registry chunk 7 of r1: no answer within 20 ms\n/);
    expect(timeout.stack).toContain('fetchChunkSeven');
    expect(timeout.stack).toContain('pending-requests.test.ts');
    // The timer's own frames say nothing about who asked.
    expect(timeout.stack).not.toContain('listOnTimeout');
    expect(pending.size).toBe(0);
  });

  it('an answer settles its own request only; a late or unknown answer is dropped', async () => {
    const pending = new PendingRequests<string, number>({ timeoutCode: 't' });
    const a = pending.wait('a', 'request a', 1000);
    const b = pending.wait('b', 'request b');
    expect(pending.settle('b', 2)).toBe(true);
    expect(pending.settle('b', 3)).toBe(false);
    expect(pending.settle('zzz', 4)).toBe(false);
    expect(pending.settle('a', 1)).toBe(true);
    expect(await a).toBe(1);
    expect(await b).toBe(2);
    expect(pending.size).toBe(0);
  });

  it('failAll rejects every waiting request with the code, the request’s name, the cause and the caller’s frame', async () => {
    const pending = new PendingRequests<string, number>({ timeoutCode: 't' });
    const first = fetchChunkSeven(pending).catch((e: unknown) => e);
    const second = pending.wait('c8', 'registry chunk 8 of r1', 60_000).catch((e: unknown) => e);
    const cause = new Error('socket closed');
    pending.failAll('link_down', 'link lost', cause);
    const [e1, e2] = (await Promise.all([first, second])) as VeritermError[];
    expect(e1!.code).toBe('link_down');
    expect(e1!.message).toBe('registry chunk 7 of r1: link lost');
    expect(e1!.cause).toBe(cause);
    expect(e1!.stack).toContain('fetchChunkSeven');
    expect(e2!.message).toBe('registry chunk 8 of r1: link lost');
    expect(pending.size).toBe(0);
  });

  it('reports busy when the first request waits and idle when the last is settled', async () => {
    const changes: boolean[] = [];
    const pending = new PendingRequests<number, string>({
      timeoutCode: 't',
      onBusyChange: (busy) => changes.push(busy),
    });
    const one = pending.wait(1, 'one');
    const two = pending.wait(2, 'two', 10);
    expect(changes).toEqual([true]);
    pending.settle(1, 'x');
    expect(changes).toEqual([true]);
    await expect(two).rejects.toThrow('two: no answer within 10 ms');
    expect(changes).toEqual([true, false]);
    expect(await one).toBe('x');
  });

  it('refuses a key that is already waiting, leaving the first request alone', async () => {
    const pending = new PendingRequests<string, number>({ timeoutCode: 't' });
    const first = pending.wait('k', 'first');
    await expect(pending.wait('k', 'second')).rejects.toMatchObject({ code: 'request_key_in_use' });
    pending.settle('k', 5);
    expect(await first).toBe(5);
  });
});

describe('its users', () => {
  it('RequestClient: an unanswered registry request times out naming the request, with the caller’s frame', async () => {
    const sent: Buffer[] = [];
    const client = new RequestClient(async (payload) => {
      sent.push(payload);
    }, 'vt/s1/t1/registry/res');
    async function fetchManifest() {
      return client.request({ v: 1, op: 'manifest', scope: 'S1' }, 20);
    }
    const error = (await fetchManifest().catch((e: unknown) => e)) as RequestTimeoutError;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.code).toBe('registry_request_timeout');
    expect(error.message).toBe('registry request manifest (scope S1): no answer within 20 ms');
    expect(error.stack).toContain('fetchManifest');
    expect(JSON.parse(sent[0]!.toString())).toMatchObject({
      op: 'manifest',
      replyTo: 'vt/s1/t1/registry/res',
    });
  });

  it('RequestClient: a send that fails rejects at once, with the cause', async () => {
    const client = new RequestClient(async () => {
      throw new Error('not connected');
    }, 'r');
    await expect(client.request({ v: 1, op: 'chunk', index: 3 }, 60_000)).rejects.toMatchObject({
      code: 'registry_request_failed',
      message: 'registry request chunk (index 3): not sent: not connected',
    });
  });

  it('WorkerRequests: answers by id, and a worker that exits rejects what waits with the caller’s frame', async () => {
    const worker = startWorker(new URL('../../fixtures/threads/echo.worker.js', import.meta.url));
    const requests = new WorkerRequests(worker, 'The echo worker', 'echo_stopped');
    const answer = await requests.send<{ id: number; echo: string }>({ echo: 'hi' });
    expect(answer.echo).toBe('hi');
    async function writeThenCrash() {
      return requests.send({ exit: true });
    }
    const error = (await writeThenCrash().catch((e: unknown) => e)) as VeritermError;
    expect(error.code).toBe('echo_stopped');
    expect(error.message).toBe('The echo worker, request 2: exited with code 3');
    expect(error.stack).toContain('writeThenCrash');
    expect(requests.failed).toBe(true);
    await expect(requests.send({ echo: 'again' })).rejects.toMatchObject({
      code: 'echo_stopped',
      message: 'The echo worker, request 3: exited with code 3',
    });
  });
});
