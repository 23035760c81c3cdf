import { type KeyObject, randomUUID } from 'node:crypto';
import { VeritermError } from '../terminal/errors.js';
import type { Logger } from '../terminal/logger.js';
import { DELIVERY_NOTE_VERSION, deliveryNoteSchema } from '../terminal/receiving/note-format.js';
import { signCommand } from '../terminal/sync/command-signing.js';
import { type DeliveryOutcome, decodeJson, deliveryOutcomeSchema } from '../terminal/sync/protocol.js';
import { terminalTopics } from '../terminal/sync/topics.js';
import type { DeliveryStorage } from './storage/contract.js';

export interface DeliveryTarget {
  storeId: string;
  terminalId: string;
}

/** The signed envelope (docs/receiving.md "Delivery note format"): the body plus what signing adds. */
export interface SignedDeliveryNoteDoc {
  v: typeof DELIVERY_NOTE_VERSION;
  kind: 'delivery_note';
  id: string;
  target: { storeId: string };
  issuedAt: string;
  expiresAt: string;
  keyId?: string;
  note: Record<string, unknown>;
  sig: string;
}

export interface SendOptions {
  /** How long the note stays valid (and queued at the broker for an offline terminal). @default 7 days */
  ttlMs?: number;
  /** How long `send` waits for the terminal's outcome. @default 60000 */
  timeoutMs?: number;
  /** Largest note sent (a terminal refuses more unparsed: its `sync.deliveries.maxNoteBytes`). @default 16777216 */
  maxBytes?: number;
  keyId?: string;
}

const DEFAULT_TTL_MS = 7 * 24 * 3600_000;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Units a note body lists (pallets' cases and loose units, cases, loose units). */
function unitCount(note: ReturnType<typeof deliveryNoteSchema.parse>): number {
  let n = note.units.length;
  for (const c of note.cases) n += c.units.length;
  for (const p of note.pallets) {
    n += p.units.length;
    for (const c of p.cases) n += c.units.length;
  }
  return n;
}

/** Checks a note body against the format's schema; throws `bad_delivery_note` naming the field. */
export function checkDeliveryNoteBody(body: unknown): { units: number } {
  const parsed = deliveryNoteSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join('.') || '(note)';
    throw new VeritermError('bad_delivery_note', `delivery note ${path}: ${issue.message}`);
  }
  return { units: unitCount(parsed.data) };
}

/**
 * Signs a note body (the envelope's `note`) for one store with the upstream command key: the
 * same Ed25519 scheme over canonical JSON that terminals verify commands with. The body is
 * checked against the format's schema first, so a typo is named here instead of refused at the
 * store; the tree checks (check digits, a unit in two places) are the terminal's.
 */
export function buildDeliveryNote(
  body: unknown,
  target: { storeId: string },
  key: KeyObject,
  opts: { ttlMs?: number; keyId?: string; now?: number } = {},
): { doc: SignedDeliveryNoteDoc; units: number } {
  const { units } = checkDeliveryNoteBody(body);
  const issued = opts.now ?? Date.now();
  const doc = signCommand(
    {
      v: DELIVERY_NOTE_VERSION as typeof DELIVERY_NOTE_VERSION,
      kind: 'delivery_note' as const,
      id: randomUUID(),
      target: { storeId: target.storeId },
      issuedAt: new Date(issued).toISOString(),
      expiresAt: new Date(issued + (opts.ttlMs ?? DEFAULT_TTL_MS)).toISOString(),
      ...(opts.keyId ? { keyId: opts.keyId } : {}),
      // Signed as written (no defaults filled in): the terminal verifies the document as sent.
      note: body as Record<string, unknown>,
    },
    key,
  );
  return { doc, units };
}

/**
 * Sends signed delivery notes to a terminal's `deliveries` topic and collects the outcomes
 * terminals report on `deliveries/result`, recording both in the storage's delivery notes (shared
 * by every worker on one database: the outcome counts whichever worker receives it first).
 */
export class DeliverySender {
  private readonly waiting = new Map<
    string,
    { target: DeliveryTarget; settle: (outcome: DeliveryOutcome) => void }
  >();

  constructor(
    private readonly deps: {
      log: DeliveryStorage;
      logger: Logger;
      key?: KeyObject;
      publish: (topic: string, payload: string, messageExpirySeconds: number) => Promise<void>;
      onOutcome?: (target: DeliveryTarget, outcome: DeliveryOutcome) => void;
    },
  ) {}

  /** The notes sent, their outcomes, receipts and diversion alerts (`veriterm upstream deliveries`). */
  get log(): DeliveryStorage {
    return this.deps.log;
  }

  /**
   * Signs, records and publishes a note; resolves with the terminal's outcome, or rejects with
   * `delivery_timeout` after `timeoutMs` (the note stays queued at the broker until it expires;
   * its outcome is still recorded when it comes).
   */
  async send(target: DeliveryTarget, body: unknown, opts: SendOptions = {}): Promise<DeliveryOutcome> {
    if (!this.deps.key) throw new VeritermError('no_command_key', 'upstream has no command key to sign with');
    const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    const { doc, units } = buildDeliveryNote(body, target, this.deps.key, {
      ttlMs,
      ...(opts.keyId ? { keyId: opts.keyId } : {}),
    });
    const payload = JSON.stringify(doc);
    const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    if (Buffer.byteLength(payload) > maxBytes)
      throw new VeritermError(
        'delivery_note_too_large',
        `signed note is ${Buffer.byteLength(payload)} bytes; a terminal reads at most ${maxBytes} (sync.deliveries.maxNoteBytes)`,
      );
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const deliveryId = String((body as { deliveryId: string }).deliveryId);
    const outcome = new Promise<DeliveryOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(doc.id);
        reject(
          new VeritermError(
            'delivery_timeout',
            `no outcome for delivery ${deliveryId} (note ${doc.id}) from ${target.storeId}/${target.terminalId} within ${timeoutMs} ms; it stays queued at the broker until ${doc.expiresAt}`,
          ),
        );
      }, timeoutMs);
      this.waiting.set(doc.id, {
        target,
        settle: (o) => {
          clearTimeout(timer);
          this.waiting.delete(doc.id);
          resolve(o);
        },
      });
    });
    outcome.catch(() => undefined);
    // Kept before publishing: the outcome may come back at once, to any worker on the database.
    await this.deps.log.recordSent({
      id: doc.id,
      deliveryId,
      storeId: target.storeId,
      terminalId: target.terminalId,
      units,
      sentAt: doc.issuedAt,
      expiresAt: doc.expiresAt,
    });
    // MQTT 5 message expiry: the broker drops a note that could only arrive expired.
    await this.deps.publish(
      terminalTopics(target.storeId, target.terminalId).deliveries,
      payload,
      Math.ceil(ttlMs / 1000),
    );
    return outcome;
  }

  /** A message on `vt/{store}/{terminal}/deliveries/result`; anything malformed is logged and dropped. */
  async onOutcome(target: DeliveryTarget, payload: Buffer): Promise<void> {
    let parsed: ReturnType<typeof deliveryOutcomeSchema.safeParse>;
    try {
      parsed = deliveryOutcomeSchema.safeParse(decodeJson(payload, 64 * 1024));
    } catch {
      this.deps.logger.warn(target, 'delivery outcome is not JSON: dropped');
      return;
    }
    if (!parsed.success) {
      this.deps.logger.warn(
        { ...target, issue: parsed.error.issues[0]?.message },
        'malformed delivery outcome',
      );
      return;
    }
    const outcome = parsed.data;
    // Only the addressed terminal's answer counts (recordOutcome checks the note's target). Recorded
    // before `send` resolves, so its caller finds the outcome in the log.
    try {
      if (await this.deps.log.recordOutcome(target.storeId, target.terminalId, outcome))
        this.deps.onOutcome?.(target, outcome);
    } catch (error) {
      this.deps.logger.error({ ...target, noteId: outcome.id, err: error }, 'delivery outcome not recorded');
    }
    const waiter = this.waiting.get(outcome.id);
    if (waiter && waiter.target.storeId === target.storeId && waiter.target.terminalId === target.terminalId)
      waiter.settle(outcome);
  }
}
