import { createHash } from 'node:crypto';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { HealthReporter } from '../health/types.js';
import type { Logger } from '../logger.js';
import { backoffDelayMs } from './link.js';
import type { Announcement, FileRef, ReleaseRef } from './protocol.js';
import type { RequestClient } from './request-client.js';

/** The registry module's side of an update: sync hands it hash-checked files, it verifies signatures and applies. */
export interface RegistryApplier {
  /** The scope's installed version, undefined when none. */
  currentVersion(scope: string): number | undefined;
  /** Applies one release atomically; a refusal is a value (the previous registry stays intact). */
  apply(release: {
    scope: string;
    ref: ReleaseRef;
    files: { name: string; path: string }[];
  }): Promise<{ ok: true } | { ok: false; code: string; message: string }>;
}

export interface TransferProgress {
  scope: string;
  targetVersion: number;
  release?: string;
  bytesDone: number;
  bytesTotal: number;
  chunksFetched: number;
  state: 'idle' | 'transferring' | 'applying' | 'failed' | 'done';
  error?: string;
}

export interface TransferDeps {
  applier: RegistryApplier;
  requests: RequestClient;
  stagingDir: string;
  logger: Logger;
  health?: HealthReporter;
  isConnected: () => boolean;
}

/**
 * Steps that lead from `local` to the announced version: a delta chain if one exists, else the
 * snapshot and the deltas after it. A terminal further behind than the announced deltas reach
 * (an announcement lists the last 500; the publisher issues a snapshot well before its chain
 * outgrows that) takes the snapshot. A snapshot no newer than `local` is no path: the registry
 * would refuse it as a rollback.
 */
export function planUpdate(ann: Announcement, local: number | undefined): ReleaseRef[] | undefined {
  if (local !== undefined && local >= ann.version) return [];
  const byFrom = new Map(ann.deltas.map((d) => [d.from ?? -1, d]));
  const chainFrom = (start: number): ReleaseRef[] | undefined => {
    const steps: ReleaseRef[] = [];
    let at = start;
    while (at < ann.version) {
      const step = byFrom.get(at);
      if (!step || step.version <= at) return undefined;
      steps.push(step);
      at = step.version;
    }
    return steps;
  };
  if (local !== undefined) {
    const chain = chainFrom(local);
    if (chain) return chain;
  }
  if (!ann.snapshot || (local !== undefined && ann.snapshot.version <= local)) return undefined;
  const rest = chainFrom(ann.snapshot.version);
  return rest ? [ann.snapshot, ...rest] : undefined;
}

/** Retry of a failed transfer: capped exponential backoff with jitter (link.ts backoffDelayMs). */
export interface TransferRetry {
  initialDelayMs: number;
  maxDelayMs: number;
  /** 0.3 spreads each delay ±15 %, so terminals that failed together do not retry together. */
  jitter: number;
}

/**
 * 1 s, 2 s, 4 s … capped at 60 s: a terminal that missed its first registry (upstream busy,
 * restarting, a chunk timed out) gets it within seconds instead of at the next announcement
 * (rescanMs) or reconnect, while a broken upstream sees at most one attempt a minute per scope.
 */
export const DEFAULT_TRANSFER_RETRY: TransferRetry = {
  initialDelayMs: 1000,
  maxDelayMs: 60_000,
  jitter: 0.3,
};

/**
 * Brings one scope up to its announced version. Files are fetched chunk by chunk; every chunk is
 * checked against its SHA-256 from the announcement before it is appended to a `.part` file, and
 * the whole file against its SHA-256 before it is handed to the registry. An interrupted transfer
 * resumes: the `.part` file's complete, re-verified chunks are kept.
 */
export class RegistryTransfer {
  progress: TransferProgress;
  private latest: Announcement | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: TransferDeps,
    private readonly scope: string,
    private readonly options: { requestTimeoutMs: number; parallelChunks: number; retry?: TransferRetry },
  ) {
    this.progress = { scope, targetVersion: 0, bytesDone: 0, bytesTotal: 0, chunksFetched: 0, state: 'idle' };
  }

  onAnnouncement(ann: Announcement): void {
    this.latest = ann;
    this.trigger();
  }

  /** (Re)starts the update if one is due; called on announcements, after every reconnect and by the retry timer. */
  trigger(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.run()
      .then(() => {
        this.failures = 0;
      })
      .catch((error: unknown) => {
        this.setProgress({ state: 'failed', error: (error as Error).message });
        const delayMs = this.scheduleRetry();
        this.deps.logger.warn(
          { err: error, scope: this.scope, retryInMs: delayMs, failures: this.failures },
          'registry transfer interrupted; will resume',
        );
      })
      .finally(() => {
        this.running = undefined;
        if (this.rerun) {
          this.rerun = false;
          this.trigger();
        }
      });
  }

  /** Resolves when no transfer is running (tests, stop()); a pending retry does not count. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Cancels a pending retry and refuses new runs; resolves when the running one (if any) ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.idle();
  }

  /** Whether a retry is waiting on its timer (status, tests). */
  retryPending(): boolean {
    return this.retryTimer !== undefined;
  }

  /**
   * Arms the retry timer after a thrown failure (timeouts, refused or corrupt chunks); returns its
   * delay. A refusal by the registry (bad signature, no path) is not retried: the same release
   * would be refused again, and the next announcement brings a different one.
   */
  private scheduleRetry(): number | undefined {
    if (this.stopped) return undefined;
    // The link's reconnect backoff; its connectTimeoutMs plays no part in the delay.
    const retry = { ...(this.options.retry ?? DEFAULT_TRANSFER_RETRY), connectTimeoutMs: 0 };
    const delayMs = backoffDelayMs(this.failures++, retry);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.trigger();
    }, delayMs);
    // A pending retry must not keep a stopping process alive.
    this.retryTimer.unref();
    return delayMs;
  }

  private async run(): Promise<void> {
    const ann = this.latest;
    if (!ann || !this.deps.isConnected()) return;
    const local = this.deps.applier.currentVersion(this.scope);
    const plan = planUpdate(ann, local);
    if (plan === undefined) {
      this.setProgress({
        state: 'failed',
        targetVersion: ann.version,
        error: `no path from version ${local ?? 'none'} to ${ann.version}`,
      });
      return;
    }
    if (plan.length === 0) return;
    const bytesTotal = plan.reduce((n, r) => n + r.files.reduce((m, f) => m + f.size, 0), 0);
    this.setProgress({
      state: 'transferring',
      targetVersion: ann.version,
      bytesTotal,
      bytesDone: 0,
      chunksFetched: 0,
    });
    for (const ref of plan) {
      this.setProgress({ release: ref.id, state: 'transferring' });
      const files: { name: string; path: string }[] = [];
      for (const file of ref.files) files.push({ name: file.name, path: await this.fetchFile(ref, file) });
      this.setProgress({ state: 'applying' });
      const result = await this.deps.applier.apply({ scope: this.scope, ref, files });
      if (!result.ok) {
        this.setProgress({ state: 'failed', error: `${result.code}: ${result.message}` });
        this.deps.logger.error(
          { scope: this.scope, release: ref.id, code: result.code },
          'registry refused the release',
        );
        return;
      }
      rmSync(this.releaseDir(ref), { recursive: true, force: true });
      this.deps.logger.info({ scope: this.scope, release: ref.id }, 'registry release applied');
    }
    this.setProgress({ state: 'done' });
  }

  private releaseDir(ref: ReleaseRef): string {
    return join(this.deps.stagingDir, this.scope, ref.id);
  }

  private async fetchFile(ref: ReleaseRef, file: FileRef): Promise<string> {
    const dir = this.releaseDir(ref);
    mkdirSync(dir, { recursive: true });
    const done = join(dir, `${file.name}.${file.sha256.slice(0, 16)}`);
    if (exists(done)) {
      this.addBytes(file.size);
      return done;
    }
    const part = `${done}.part`;
    const hash = createHash('sha256');
    let next = resumePart(part, file, hash);
    this.addBytes(Math.min(file.size, next * file.chunkSize));
    const fd = openSync(part, 'a');
    try {
      while (next < file.chunks.length) {
        const indexes: number[] = [];
        for (let i = next; i < file.chunks.length && indexes.length < this.options.parallelChunks; i++)
          indexes.push(i);
        const bodies = await Promise.all(indexes.map((index) => this.fetchChunk(ref, file, index)));
        for (const body of bodies) {
          writeSync(fd, body);
          hash.update(body);
          this.addBytes(body.length);
        }
        next += bodies.length;
        this.progress.chunksFetched += bodies.length;
      }
    } finally {
      closeSync(fd);
    }
    if (hash.digest('hex') !== file.sha256) {
      rmSync(part, { force: true });
      throw new Error(`${file.name}: whole-file SHA-256 mismatch`);
    }
    renameSync(part, done);
    return done;
  }

  private async fetchChunk(ref: ReleaseRef, file: FileRef, index: number): Promise<Buffer> {
    const { header, body } = await this.deps.requests.request(
      { v: 1, op: 'chunk', scope: this.scope, release: ref.id, file: file.name, index },
      this.options.requestTimeoutMs,
    );
    if (header.status !== 'ok') throw new Error(`chunk ${index} refused: ${header.error?.code ?? 'error'}`);
    const sha = createHash('sha256').update(body).digest('hex');
    if (sha !== file.chunks[index]) throw new Error(`${file.name} chunk ${index}: SHA-256 mismatch`);
    return body;
  }

  private addBytes(n: number): void {
    this.progress.bytesDone += n;
    this.report();
  }

  private setProgress(patch: Partial<TransferProgress>): void {
    Object.assign(this.progress, patch);
    if (patch.state !== 'failed') delete this.progress.error;
    this.report();
  }

  private report(): void {
    const p = this.progress;
    const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
    const reason =
      p.state === 'transferring' || p.state === 'applying'
        ? ({
            code: 'registry_update.progress',
            params: { scope: p.scope, version: p.targetVersion, percent: pct },
            reason: `Updating registry ${p.scope} to version ${p.targetVersion}: ${pct}%`,
          } as const)
        : p.state === 'failed'
          ? ({
              code: 'registry_update.stalled',
              params: { scope: p.scope, detail: p.error ?? 'unknown' },
              reason: `Registry update ${p.scope} stalled: ${p.error ?? 'unknown'}`,
            } as const)
          : ({
              code: 'registry_update.current',
              params: { scope: p.scope },
              reason: `Registry ${p.scope} up to date`,
            } as const);
    this.deps.health?.report(`registry-update:${this.scope}`, {
      level: p.state === 'failed' ? 'warn' : 'ok',
      ...reason,
      details: { ...p, percent: pct },
    });
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Re-verifies the complete chunks of a `.part` file, truncates after the last good one, returns the next index. */
function resumePart(part: string, file: FileRef, hash: ReturnType<typeof createHash>): number {
  if (!exists(part)) return 0;
  const fd = openSync(part, 'r+');
  try {
    const size = statSync(part).size;
    const buf = Buffer.alloc(file.chunkSize);
    let index = 0;
    let offset = 0;
    while (index < file.chunks.length) {
      const want = Math.min(file.chunkSize, file.size - offset);
      if (offset + want > size) break;
      const n = readSync(fd, buf, 0, want, offset);
      const chunk = buf.subarray(0, n);
      if (n !== want || createHash('sha256').update(chunk).digest('hex') !== file.chunks[index]) break;
      hash.update(chunk);
      offset += want;
      index++;
    }
    ftruncateSync(fd, offset);
    return index;
  } finally {
    closeSync(fd);
  }
}
