import { randomUUID } from 'node:crypto';
import { PendingRequests } from '../threads/pending-requests.js';
import { decodeFrame, type ResponseHeader } from './protocol.js';

type Reply = { header: ResponseHeader; body: Buffer };

/**
 * MQTT 5 request/response (spec §4.10): each request carries a response topic and correlation
 * data; the reply is matched by correlation. The correlation is also inside the payload and the
 * reply frame, so the same exchange works on MQTT 3.1.1. Waiting is PendingRequests': a request
 * unanswered in time rejects with a RequestTimeoutError (`registry_request_timeout`) naming the
 * request and carrying the caller's stack.
 */
export class RequestClient {
  private readonly pending = new PendingRequests<string, Reply>({ timeoutCode: 'registry_request_timeout' });

  constructor(
    private readonly send: (payload: Buffer, correlation: string) => Promise<void>,
    readonly replyTo: string,
  ) {}

  async request(body: Record<string, unknown>, timeoutMs: number): Promise<Reply> {
    const correlation = randomUUID();
    const payload = Buffer.from(JSON.stringify({ ...body, replyTo: this.replyTo, correlation }));
    const reply = this.pending.wait(correlation, describe(body), timeoutMs);
    this.send(payload, correlation).catch((error: unknown) =>
      this.pending.fail(
        correlation,
        'registry_request_failed',
        `not sent: ${(error as Error).message}`,
        error,
      ),
    );
    return reply;
  }

  /** Feeds a message from the response topic. Unknown correlations (late replies) are dropped. */
  onResponse(payload: Buffer): boolean {
    const frame = decodeFrame(payload);
    return this.pending.settle(frame.header.correlation, frame);
  }

  /** Rejects every outstanding request (link lost, stop). */
  failAll(reason: string): void {
    this.pending.failAll('registry_request_failed', reason);
  }
}

/** "registry request chunk (file r7.body.z, index 3)": the request's op and its scalar fields. */
function describe(body: Record<string, unknown>): string {
  const fields = Object.entries(body)
    .filter(
      ([key, value]) =>
        key !== 'op' && key !== 'v' && (typeof value === 'string' || typeof value === 'number'),
    )
    .map(([key, value]) => `${key} ${String(value).slice(0, 64)}`);
  const op = typeof body.op === 'string' ? body.op : 'request';
  return `registry request ${op}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`;
}
