import { promisify } from 'node:util';
import { deflate } from 'node:zlib';

const deflateAsync = promisify(deflate);
const CLOSE = Buffer.from('}');
/** Transfer rates `compress: 'auto'` takes the median of. */
const LINK_SAMPLES = 15;
/** Room for the batch header (ids, prevHash, firstSeq) around the columns. */
const HEADER_BYTES = 400;

import type { OutboxReader, PendingRun } from '../ledger/types.js';
import type { Logger } from '../logger.js';
import type { SyncOptions } from './options.js';
import { RECORD_BATCH_VERSION } from './protocol.js';

export interface DrainDeps {
  outbox: OutboxReader;
  logger: Logger;
  /** Publishes one batch at QoS 1; resolves on PUBACK. */
  publish: (payload: Buffer) => Promise<void>;
  isConnected: () => boolean;
  /**
   * How many batch publishes may await their PUBACK at once: the broker's MQTT 5 Receive Maximum
   * less room for the terminal's other QoS 1 messages (MqttLink.publishWindow). @default unlimited
   */
  publishWindow?: () => number;
  now?: () => number;
}

/** Why an acknowledgement was not believed (see `OutboxDrain.onAck`). */
export interface RejectedAck {
  /** `impossible_ack`: well-formed but beyond anything this terminal holds; `malformed_ack`: not an ack. */
  code: 'impossible_ack' | 'malformed_ack';
  detail: string;
  at: string;
}

interface InFlight {
  firstSeq: number;
  lastSeq: number;
}

/**
 * Drains the outbox upstream in order. Rows leave the outbox only on upstream's end-to-end ack
 * (highest contiguous sequence persisted), never on a broker PUBACK: a broker restart without
 * persistence loses PUBACKed messages, and we must not. Unacked rows are resent after
 * `ackTimeoutMs` without progress, and from the last ack after every reconnect; upstream dedupes
 * by (terminal, seq), so a resend is harmless. At most `maxInFlightBatches` batches are out at
 * once: a backlog of days never fills mqtt.js's in-memory queue, and status, command results and
 * registry requests published meanwhile go out between batches instead of behind the whole backlog.
 */
export class OutboxDrain {
  ackedSeq: number;
  sentSeq: number;
  lastAckAt: string | undefined;
  problem: { code: string; seq: number } | undefined;
  /** The last acknowledgement refused since the last one believed (health warns while set). */
  rejectedAck: RejectedAck | undefined;
  /** Acknowledgements refused since start. */
  rejectedAcks = 0;
  /** Highest sequence known to be in our ledger (only grows; re-read when an ack goes beyond it). */
  private knownHeadSeq = 0;
  private inFlight: InFlight[] = [];
  /**
   * Batches of this generation handed to the publish chain whose PUBACK has not come (nor their
   * publish failed) yet. Zeroed on every reset: a publish from before a reconnect that never settles
   * must not hold the window shut for good.
   */
  private awaitingPuback = 0;
  private lastProgressMs: number;
  private pumping = false;
  /** Orders publishes whose payloads are compressed asynchronously. */
  private publishChain: Promise<void> = Promise.resolve();
  /** Bumped on every reset, so batches encoded before it are not published after it. */
  private generation = 0;
  private again = false;
  private tokens: number;
  private tokensAtMs: number;
  private readonly now: () => number;
  /**
   * Link speed for `compress: 'auto'`: the last `LINK_SAMPLES` transfer rates (bytes per ms) of
   * batches the broker acknowledged (PUBACK), and when the previous PUBACK came.
   */
  private link = { rates: [] as number[], lastPubackMs: 0 };

  constructor(
    private readonly deps: DrainDeps,
    private readonly options: SyncOptions['drain'] & { storeId: string; terminalId: string },
  ) {
    this.now = deps.now ?? Date.now;
    this.ackedSeq = deps.outbox.stats().lastAckedSeq;
    this.sentSeq = this.ackedSeq;
    this.lastProgressMs = this.now();
    this.tokens = options.maxRecordsPerSecond;
    this.tokensAtMs = this.now();
  }

  /**
   * Whether the link is up *and* this drain has been told so (`linkUp`). The socket alone is not
   * enough: between CONNACK and the link's 'connect' (after the subscriptions) a sale's kick would
   * pump on from the cursor of the dropped connection, and a batch whose predecessor died with
   * that connection would reach upstream ahead of it (a `gap` alert) before the resend.
   */
  private ready = false;

  /** The link is up with its subscriptions: send everything not acknowledged again, in order. */
  linkUp(): void {
    this.resetToAcked();
    this.ready = true;
    this.kick();
  }

  /** The link dropped: nothing is sent until `linkUp`, which resends from the last ack. */
  linkDown(): void {
    this.ready = false;
  }

  /** Sends anything not acknowledged again, in order (on reconnect, timeout or `sync_now`). */
  resetToAcked(): void {
    this.generation++;
    this.awaitingPuback = 0;
    this.sentSeq = this.ackedSeq;
    this.inFlight = [];
    this.lastProgressMs = this.now();
  }

  /**
   * Applies upstream's acknowledgement, after checking it could be true: an integer from 0 to our
   * ledger's head. Upstream may hold more than `sentSeq` (we restarted before persisting its ack),
   * never more than we ever wrote. An ack that fails the check moves nothing (a forged retained
   * `ackSeq: 1000000000` would otherwise stop the drain for good): it is logged, counted and kept
   * as `rejectedAck` for health until an ack that passes arrives. Returns whether it was believed.
   */
  onAck(ackSeq: number, problem?: { code: string; seq: number }): boolean {
    if (!Number.isSafeInteger(ackSeq) || ackSeq < 0) {
      this.rejectAck('impossible_ack', `ackSeq ${ackSeq} is not a non-negative integer`);
      return false;
    }
    if (ackSeq > this.knownHeadSeq) this.knownHeadSeq = this.headSeq();
    if (ackSeq > this.knownHeadSeq) {
      this.rejectAck('impossible_ack', `ackSeq ${ackSeq} is beyond our last record ${this.knownHeadSeq}`);
      return false;
    }
    this.rejectedAck = undefined;
    this.problem = problem;
    if (ackSeq > this.sentSeq && ackSeq > this.ackedSeq) {
      // Upstream holds more than we sent in this run (we restarted before persisting its ack).
      this.deps.logger.info(
        { ackSeq, sentSeq: this.sentSeq },
        'upstream already holds records beyond our cursor',
      );
    }
    if (problem?.code === 'gap') {
      // Upstream holds up to ackSeq and got a batch from further on: the one between was lost
      // (e.g. with a dropped connection). Resend from there now rather than after ackTimeoutMs.
      this.deps.logger.warn({ ackSeq, sentSeq: this.sentSeq }, 'upstream missed a batch; resending');
      if (ackSeq > this.ackedSeq) this.applyAck(ackSeq);
      this.resetToAcked();
      this.kick();
      return true;
    }
    if (ackSeq <= this.ackedSeq) return true;
    this.applyAck(ackSeq);
    this.kick();
    return true;
  }

  private applyAck(ackSeq: number): void {
    this.persistAck(ackSeq);
    this.ackedSeq = ackSeq;
    if (this.sentSeq < ackSeq) this.sentSeq = ackSeq;
    this.lastAckAt = new Date(this.now()).toISOString();
    this.lastProgressMs = this.now();
    this.inFlight = this.inFlight.filter((b) => b.lastSeq > ackSeq);
  }

  /** Records an acknowledgement that moved nothing (also one that did not parse). */
  rejectAck(code: RejectedAck['code'], detail: string): void {
    this.rejectedAcks++;
    this.rejectedAck = { code, detail, at: new Date(this.now()).toISOString() };
    this.deps.logger.warn(
      { code, detail, ackedSeq: this.ackedSeq, rejectedAcks: this.rejectedAcks },
      'upstream acknowledgement ignored',
    );
  }

  /** The ledger's head: its own count when it offers one, else acknowledged + pending (the outbox holds every later record). */
  private headSeq(): number {
    const outbox = this.deps.outbox as OutboxReader & { headSeq?: () => number };
    if (typeof outbox.headSeq === 'function') return outbox.headSeq();
    const s = outbox.stats();
    return s.lastAckedSeq + s.pending;
  }

  private ackTimer: NodeJS.Timeout | undefined;
  private unpersistedAck = 0;

  /** Applies an ack to the outbox now or within `ackPersistMs` (coalescing several into one commit). */
  private persistAck(ackSeq: number): void {
    this.unpersistedAck = Math.max(this.unpersistedAck, ackSeq);
    if (this.options.ackPersistMs === 0) {
      this.flushAck();
      return;
    }
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      this.flushAck();
    }, this.options.ackPersistMs);
  }

  /** Writes the latest ack to the outbox (also on stop). */
  flushAck(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const seq = this.unpersistedAck;
    if (seq === 0) return;
    this.unpersistedAck = 0;
    try {
      this.deps.outbox.acknowledge(seq);
    } catch (error) {
      // e.g. an ack beyond our ledger's head (a restored database): keep our rows, say so.
      this.deps.logger.error({ err: error, ackSeq: seq }, 'cannot apply upstream acknowledgement');
    }
  }

  /** Resends from the last ack when upstream has been silent for too long. Call periodically. */
  checkTimeout(): void {
    if (this.inFlight.length === 0 && this.sentSeq === this.ackedSeq) return;
    if (this.now() - this.lastProgressMs < this.options.ackTimeoutMs) return;
    this.deps.logger.warn(
      { ackedSeq: this.ackedSeq, sentSeq: this.sentSeq },
      'no acknowledgement from upstream in time; resending',
    );
    this.resetToAcked();
    this.kick();
  }

  /** Sends what the window allows. Re-entrant calls coalesce into one more pass. */
  kick(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    setImmediate(() => {
      try {
        this.pump();
      } catch (error) {
        this.deps.logger.error({ err: error }, 'outbox drain failed');
      } finally {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      }
    });
  }

  private allowance(): number {
    const rate = this.options.maxRecordsPerSecond;
    if (rate === 0) return this.options.maxBatchRecords;
    const now = this.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAtMs) * rate) / 1000);
    this.tokensAtMs = now;
    return Math.min(this.options.maxBatchRecords, Math.floor(this.tokens));
  }

  private pump(): void {
    const publishWindow = this.deps.publishWindow?.() ?? Number.POSITIVE_INFINITY;
    while (
      this.ready &&
      this.deps.isConnected() &&
      this.inFlight.length < this.options.maxInFlightBatches &&
      this.awaitingPuback < publishWindow
    ) {
      const limit = this.allowance();
      if (limit <= 0) {
        setTimeout(() => this.kick(), 50);
        return;
      }
      const run = this.readRun(limit, this.options.maxBatchBytes - HEADER_BYTES);
      if (!run) return;
      const { payload, lastSeq, count } = this.encode(run);
      const batch = { firstSeq: run.firstSeq, lastSeq };
      this.inFlight.push(batch);
      this.sentSeq = lastSeq;
      if (this.options.maxRecordsPerSecond > 0) this.tokens -= count;
      // Compression runs on libuv's thread pool (another core) while this thread reads the next
      // batch; publishes are still issued strictly in batch order through the chain.
      const ready = this.compressNext() ? deflateAsync(payload, { level: 1 }) : Promise.resolve(payload);
      const generation = this.generation;
      // Counted until its PUBACK (or failure): the broker's Receive Maximum bounds these, while
      // the end-to-end window above bounds batches upstream has not acknowledged yet.
      this.awaitingPuback++;
      const settled = () => {
        if (generation !== this.generation) return;
        this.awaitingPuback--;
        this.kick();
      };
      this.publishChain = this.publishChain
        .then(() => ready)
        .then((bytes) => {
          // Reset since (which zeroed the count): resent from the last ack anyway.
          if (generation !== this.generation) return;
          const sentAtMs = this.now();
          this.deps
            .publish(bytes)
            .then(() => this.measureLink(bytes.length, sentAtMs))
            .catch((error: unknown) => {
              // A publish interrupted by a disconnect is sent again after reconnect (resetToAcked).
              this.deps.logger.debug({ err: error, batch }, 'batch publish interrupted');
            })
            .finally(settled);
        })
        .catch((error: unknown) => {
          this.deps.logger.error({ err: error, batch }, 'batch encoding failed');
          settled();
        });
    }
  }

  /** Whether the next batch is deflated: always, never, or (`'auto'`) while the link is slow. */
  private compressNext(): boolean {
    const { compress, compressBelowBytesPerSecond } = this.options;
    if (compress !== 'auto') return compress;
    const bytesPerSecond = this.linkBytesPerSecond();
    return bytesPerSecond === undefined || bytesPerSecond < compressBelowBytesPerSecond;
  }

  /**
   * The link's measured speed in bytes per second: the median of the last transfer rates, so a
   * broker or a process waiting for a CPU now and then (slow samples) or PUBACKs bunched together
   * (fast ones) do not decide it. Undefined until measured.
   */
  linkBytesPerSecond(): number | undefined {
    const rates = this.link.rates;
    if (rates.length === 0) return undefined;
    const sorted = [...rates].sort((a, b) => a - b);
    return sorted[sorted.length >> 1]! * 1000;
  }

  /**
   * A batch of `bytes` sent at `sentAtMs` was acknowledged by the broker now. When it was sent
   * while an earlier batch was still unacknowledged, it queued behind that one on the connection,
   * so the time since the previous PUBACK is its transfer time. A batch sent on an idle link also
   * waited a round trip, which says nothing of the link's speed (and would make small, deflated
   * batches look slow): not a sample.
   */
  private measureLink(bytes: number, sentAtMs: number): void {
    const now = this.now();
    const previous = this.link.lastPubackMs;
    this.link.lastPubackMs = now;
    if (sentAtMs >= previous) return;
    // No measurable time at all: faster than the clock resolves.
    const busyMs = now - previous;
    this.link.rates.push(busyMs > 0 ? bytes / busyMs : Number.POSITIVE_INFINITY);
    if (this.link.rates.length > LINK_SAMPLES) this.link.rates.shift();
  }

  private readRun(limit: number, maxBytes: number): PendingRun | undefined {
    // The outbox's own columns when it offers them (the ledger does): no parse + re-serialise.
    if (this.deps.outbox.pendingRun) return this.deps.outbox.pendingRun(this.sentSeq, limit, maxBytes);
    const rows = this.deps.outbox.pending(this.sentSeq, limit);
    if (rows.length === 0) return undefined;
    // Consecutive records until the byte cap (UTF-16 units here); always at least one record.
    const first = rows[0]!;
    const ids: string[] = [];
    const types: string[] = [];
    const ats: string[] = [];
    const payloads: string[] = [];
    const sigs: string[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (row.seq !== first.seq + ids.length) break; // never send past a hole in our own outbox
      const payload = JSON.stringify(row.payload);
      const size =
        row.id.length + row.type.length + row.at.length + payload.length + row.signature.length + 15;
      if (ids.length > 0 && bytes + size > maxBytes) break;
      ids.push(JSON.stringify(row.id));
      types.push(JSON.stringify(row.type));
      ats.push(JSON.stringify(row.at));
      payloads.push(payload);
      sigs.push(JSON.stringify(row.signature));
      bytes += size;
    }
    const count = ids.length;
    const columns = `"ids":[${ids}],"types":[${types}],"ats":[${ats}],"payloads":[${payloads}],"sigs":[${sigs}]`;
    return {
      count,
      firstSeq: first.seq,
      lastSeq: first.seq + count - 1,
      prevHash: first.prevHash,
      columns: Buffer.from(columns),
    };
  }

  /** A version 2 record batch (protocol.ts `compactBatchSchema`): header, then the run's columns. */
  private encode(run: PendingRun): { payload: Buffer; lastSeq: number; count: number } {
    const { storeId, terminalId } = this.options;
    const head = JSON.stringify({
      v: RECORD_BATCH_VERSION,
      batchId: `${terminalId}:${run.firstSeq}-${run.lastSeq}`,
      storeId,
      terminalId,
      firstSeq: run.firstSeq,
      prevHash: run.prevHash,
    });
    const payload = Buffer.concat([Buffer.from(`${head.slice(0, -1)},`), run.columns, CLOSE]);
    return { payload, lastSeq: run.lastSeq, count: run.count };
  }

  stats(): { inFlightBatches: number; sentSeq: number; ackedSeq: number; rejectedAcks: number } {
    return {
      inFlightBatches: this.inFlight.length,
      sentSeq: this.sentSeq,
      ackedSeq: this.ackedSeq,
      rejectedAcks: this.rejectedAcks,
    };
  }
}
