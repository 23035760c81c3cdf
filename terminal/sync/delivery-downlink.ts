import type { KeyObject } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { SyncOptions } from './options.js';
import { type DeliveryOutcome, PROTOCOL_VERSION } from './protocol.js';
import type { SyncStore } from './sync-store.js';

/** What the receiving core answers for one note (terminal/receiving/import-note.ts `ImportResult`). */
export type DeliveryNoteResult =
  | { ok: true; status: 'imported' | 'already_imported'; deliveryId: string; units: number }
  | { ok: false; code: string; message: string; deliveryId?: string };

/** Sync's trust for a downlink document: the pinned upstream keys, this store, the nonce table. */
export interface DownlinkTrust {
  keys: readonly KeyObject[];
  storeId: string;
  maxClockSkewMs: number;
  /** On terminal.db's connection: a note and its nonce commit in one transaction. */
  nonces: SyncStore;
  nowMs: number;
}

/** Checks and stores one parsed note (the composition root passes terminal/receiving's). */
export type DeliveryNoteReceiver = (raw: unknown, trust: DownlinkTrust) => DeliveryNoteResult;

/**
 * Token buckets for notes and note bytes. `take` says whether one more note of `bytes` may be
 * looked at now; `onFirstRefusal` runs once per run of refusals, so a flood logs one line.
 */
export class DownlinkBudget {
  private notes: number;
  private bytes: number;
  private atMs: number;
  private refusing = false;
  /** Notes dropped unread since start. */
  dropped = 0;

  constructor(
    private readonly limits: { burst: number; perMinute: number; bytesPerMinute: number },
    private readonly now: () => number,
  ) {
    this.notes = limits.burst;
    this.bytes = limits.bytesPerMinute;
    this.atMs = now();
  }

  take(bytes: number, onFirstRefusal: () => void): boolean {
    const nowMs = this.now();
    const minutes = Math.max(0, nowMs - this.atMs) / 60_000;
    this.atMs = nowMs;
    this.notes = Math.min(this.limits.burst, this.notes + minutes * this.limits.perMinute);
    this.bytes = Math.min(this.limits.bytesPerMinute, this.bytes + minutes * this.limits.bytesPerMinute);
    if (this.notes < 1 || this.bytes < bytes) {
      this.dropped++;
      if (!this.refusing) onFirstRefusal();
      this.refusing = true;
      return false;
    }
    this.notes -= 1;
    this.bytes -= bytes;
    this.refusing = false;
    return true;
  }
}

/** A string `id` of an object that is not (yet) a valid note, so a refusal can name it. */
function idOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
}

/**
 * The `deliveries` topic: bounds first (budget, then size, both before parsing), then JSON, then
 * the receiving core's check and store, then the outcome on `deliveries/result`. A note with no
 * readable id (not JSON, or no `id`) gets no report: there is nothing to name it by.
 */
export class DeliveryDownlink {
  private readonly budget: DownlinkBudget;

  constructor(
    private readonly deps: {
      receive: DeliveryNoteReceiver;
      trust: () => DownlinkTrust;
      publishOutcome: (outcome: DeliveryOutcome) => Promise<void>;
      refuse: (code: string, message: string, extra?: Record<string, unknown>) => void;
      onOutcome: (outcome: DeliveryOutcome) => void;
      logger: Logger;
      now: () => number;
    },
    private readonly options: SyncOptions['deliveries'],
  ) {
    this.budget = new DownlinkBudget(options, deps.now);
  }

  get dropped(): number {
    return this.budget.dropped;
  }

  onMessage(payload: Buffer): void {
    if (payload.length === 0) return; // a cleared retained message
    const allowed = this.budget.take(Math.min(payload.length, this.options.maxNoteBytes), () =>
      this.deps.logger.warn(
        { limit: { burst: this.options.burst, perMinute: this.options.perMinute } },
        'delivery notes over their budget: dropped unread until they slow down',
      ),
    );
    if (!allowed) return;
    if (payload.length > this.options.maxNoteBytes) {
      this.deps.refuse(
        'oversized',
        `${payload.length} bytes exceeds deliveries.maxNoteBytes ${this.options.maxNoteBytes}`,
      );
      return;
    }
    let raw: unknown;
    try {
      // Deflated notes are not part of the format: a 0x78 first byte is refused as not JSON.
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      this.deps.refuse('malformed', 'delivery note is not JSON');
      return;
    }
    const id = idOf(raw);
    let result: DeliveryNoteResult;
    try {
      result = this.deps.receive(raw, this.deps.trust());
    } catch (error) {
      // A storage fault (disk full, database locked past its timeout): nothing was committed.
      this.deps.logger.error({ err: error, noteId: id }, 'delivery note could not be stored');
      result = { ok: false, code: 'store_failed', message: (error as Error).message.slice(0, 300) };
    }
    const outcome: DeliveryOutcome = result.ok
      ? {
          v: PROTOCOL_VERSION,
          id: id ?? 'unknown',
          deliveryId: result.deliveryId,
          at: new Date(this.deps.now()).toISOString(),
          status: result.status === 'imported' ? 'accepted' : 'already_imported',
          units: result.units,
        }
      : {
          v: PROTOCOL_VERSION,
          id: id ?? 'unknown',
          ...(result.deliveryId ? { deliveryId: result.deliveryId } : {}),
          at: new Date(this.deps.now()).toISOString(),
          status: 'refused',
          code: result.code,
          message: result.message.slice(0, 500),
        };
    if (result.ok)
      this.deps.logger.info(
        { noteId: id, deliveryId: result.deliveryId, status: outcome.status, units: result.units },
        'delivery note received',
      );
    else
      this.deps.refuse(result.code, result.message, {
        ...(id ? { noteId: id } : {}),
        ...(result.deliveryId ? { deliveryId: result.deliveryId } : {}),
      });
    this.deps.onOutcome(outcome);
    if (id) this.deps.publishOutcome(outcome).catch(() => undefined);
  }
}
