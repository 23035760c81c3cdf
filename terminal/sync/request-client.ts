import { randomUUID } from 'node:crypto';
import { decodeFrame, type ResponseHeader } from './protocol.js';

interface Waiter {
  resolve: (value: { header: ResponseHeader; body: Buffer }) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * MQTT 5 request/response (spec §4.10): each request carries a response topic and correlation
 * data; the reply is matched by correlation. The correlation is also inside the payload and the
 * reply frame, so the same exchange works on MQTT 3.1.1.
 */
export class RequestClient {
  private readonly waiters = new Map<string, Waiter>();

  constructor(
    private readonly send: (payload: Buffer, correlation: string) => Promise<void>,
    readonly replyTo: string,
  ) {}

  async request(
    body: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<{ header: ResponseHeader; body: Buffer }> {
    const correlation = randomUUID();
    const payload = Buffer.from(JSON.stringify({ ...body, replyTo: this.replyTo, correlation }));
    const reply = new Promise<{ header: ResponseHeader; body: Buffer }>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(correlation);
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(correlation, { resolve, reject, timer });
    });
    this.send(payload, correlation).catch((error: unknown) => this.fail(correlation, error as Error));
    return reply;
  }

  /** Feeds a message from the response topic. Unknown correlations (late replies) are dropped. */
  onResponse(payload: Buffer): boolean {
    const frame = decodeFrame(payload);
    const waiter = this.waiters.get(frame.header.correlation);
    if (!waiter) return false;
    this.waiters.delete(frame.header.correlation);
    clearTimeout(waiter.timer);
    waiter.resolve(frame);
    return true;
  }

  /** Rejects every outstanding request (link lost, stop). */
  failAll(reason: string): void {
    for (const id of [...this.waiters.keys()]) this.fail(id, new Error(reason));
  }

  private fail(correlation: string, error: Error): void {
    const waiter = this.waiters.get(correlation);
    if (!waiter) return;
    this.waiters.delete(correlation);
    clearTimeout(waiter.timer);
    waiter.reject(error);
  }
}
