import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../terminal/logger.js';
import type { Announcement, ResponseHeader } from '../../../terminal/sync/protocol.js';
import {
  type RegistryApplier,
  RegistryTransfer,
  type TransferRetry,
} from '../../../terminal/sync/registry-transfer.js';
import type { RequestClient } from '../../../terminal/sync/request-client.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const BODY = Buffer.from('one registry file, one chunk');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ANNOUNCEMENT: Announcement = {
  v: 1,
  scope: 'cn',
  version: 1,
  publishedAt: '2026-12-07T00:00:00Z',
  snapshot: {
    id: 'snapshot-1',
    kind: 'snapshot',
    version: 1,
    files: [
      { name: 'units.bin', size: BODY.length, sha256: sha(BODY), chunkSize: 1024, chunks: [sha(BODY)] },
    ],
  },
  deltas: [],
};
const RETRY: TransferRetry = { initialDelayMs: 1000, maxDelayMs: 4000, jitter: 0 };

/** A request client whose first `failures` chunk requests time out, then answer. */
function fakeRequests(failures: number): RequestClient & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    replyTo: 'vt/s1/t1/registry/res',
    async request() {
      calls.push(Date.now());
      if (calls.length <= failures) throw new Error('registry_request_timeout: chunk 0 unanswered');
      const header: ResponseHeader = { correlation: 'c', status: 'ok' };
      return { header, body: BODY };
    },
  } as unknown as RequestClient & { calls: number[] };
}

function fakeApplier(): RegistryApplier & { applied: number[] } {
  const applied: number[] = [];
  return {
    applied,
    currentVersion: () => applied.at(-1),
    async apply({ ref }) {
      applied.push(ref.version);
      return { ok: true };
    },
  };
}

describe('registry transfer retries with capped exponential backoff', () => {
  const tmp = makeTempDir('vt-transfer-retry-');
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries after 1 s, 2 s, 4 s, 4 s (capped) and applies on the fifth attempt without any announcement', async () => {
    const requests = fakeRequests(4);
    const applier = fakeApplier();
    const transfer = new RegistryTransfer(
      { applier, requests, stagingDir: tmp.dir, logger: silentLogger(), isConnected: () => true },
      'cn',
      { requestTimeoutMs: 100, parallelChunks: 1, retry: RETRY },
    );
    transfer.onAnnouncement(ANNOUNCEMENT);
    await vi.advanceTimersByTimeAsync(0);
    expect(requests.calls).toEqual([0]);
    expect(transfer.progress.state).toBe('failed');
    expect(transfer.retryPending()).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(requests.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1 + 2000 + 4000 + 4000);
    expect(requests.calls).toEqual([0, 1000, 3000, 7000, 11_000]);
    expect(applier.applied).toEqual([1]);
    expect(transfer.progress.state).toBe('done');
    expect(transfer.retryPending()).toBe(false);
  });

  it('stop() cancels a pending retry: no request after stop', async () => {
    const requests = fakeRequests(100);
    const transfer = new RegistryTransfer(
      {
        applier: fakeApplier(),
        requests,
        stagingDir: tmp.dir,
        logger: silentLogger(),
        isConnected: () => true,
      },
      'cn',
      { requestTimeoutMs: 100, parallelChunks: 1, retry: RETRY },
    );
    transfer.onAnnouncement(ANNOUNCEMENT);
    await vi.advanceTimersByTimeAsync(1000);
    expect(requests.calls).toHaveLength(2);
    await transfer.stop();
    expect(transfer.retryPending()).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    transfer.trigger();
    await vi.advanceTimersByTimeAsync(0);
    expect(requests.calls).toHaveLength(2);
  });

  it('a registry refusal is not retried (the same release would be refused again)', async () => {
    const requests = fakeRequests(0);
    const applier: RegistryApplier = {
      currentVersion: () => undefined,
      apply: async () => ({ ok: false, code: 'bad_signature', message: 'not signed by the pinned root' }),
    };
    const transfer = new RegistryTransfer(
      { applier, requests, stagingDir: tmp.dir, logger: silentLogger(), isConnected: () => true },
      'cn',
      { requestTimeoutMs: 100, parallelChunks: 1, retry: RETRY },
    );
    transfer.onAnnouncement(ANNOUNCEMENT);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transfer.progress.state).toBe('failed');
    expect(transfer.retryPending()).toBe(false);
  });
});
