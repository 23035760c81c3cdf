import type { KeyObject } from 'node:crypto';
import { verifyCommandSignature } from '../sync/command-signing.js';
import type { SyncStore } from '../sync/sync-store.js';
import { type SignedDeliveryNote, signedDeliveryNoteSchema } from './note-format.js';
import { type NotePlan, planNote } from './note-plan.js';
import { type ReceivingStore, UnitTaken } from './receiving-store.js';

/** Every reason a delivery note is refused; a refusal leaves nothing behind (no note, no nonce). */
export const NOTE_REFUSAL_CODES = [
  'malformed',
  'unsigned',
  'unsupported_version',
  'bad_signature',
  'wrong_store',
  'not_yet_valid',
  'expired',
  'replayed',
  'malformed_tree',
  'bad_container_code',
  'bad_unit_code',
  'unit_in_two_places',
  'container_in_two_places',
  'too_large',
  'delivery_conflict',
  'unit_on_other_note',
] as const;
export type NoteRefusalCode = (typeof NOTE_REFUSAL_CODES)[number];

export type ImportResult =
  | { ok: true; status: 'imported' | 'already_imported'; deliveryId: string; noteId: number; units: number }
  | { ok: false; code: NoteRefusalCode; message: string; path?: string; deliveryId?: string };

export interface ImportContext {
  store: ReceivingStore;
  /** Sync's nonce store on the same database connection: the nonce commits with the note. */
  nonces: SyncStore;
  /** Upstream's keys pinned at provisioning (the downlink command keys). */
  keys: readonly KeyObject[];
  storeId: string;
  maxClockSkewMs: number;
  nowMs: number;
}

class Refused extends Error {
  constructor(readonly result: Extract<ImportResult, { ok: false }>) {
    super(result.message);
  }
}

class AlreadyImported extends Error {
  constructor(
    readonly noteId: number,
    readonly units: number,
  ) {
    super('already imported');
  }
}

type Refusal = Extract<ImportResult, { ok: false }>;

/** A note that passed every check that needs no database: ready for `storeDeliveryNote`. */
export interface CheckedNote {
  ok: true;
  envelope: SignedDeliveryNote;
  plan: NotePlan;
  /** How long its nonce must be remembered: past this, the expiry check alone refuses it. */
  keepNonceUntilMs: number;
}

/** Checks a signed note, then stores it: `checkDeliveryNote` + `storeDeliveryNote`. */
export function importDeliveryNote(raw: unknown, ctx: ImportContext): ImportResult {
  const checked = checkDeliveryNote(raw, ctx);
  return checked.ok ? storeDeliveryNote(checked, ctx) : checked;
}

/**
 * Checks a signed delivery note in one transaction, or refuses it with a named code.
 * In order: shape and version, signature by a pinned upstream key, addressed to this store,
 * inside its validity window, the tree (check digits, unit codes, nothing listed twice), then
 * under the write lock: nonce never seen (replay), the delivery id new or with the very same
 * content (`already_imported`, nothing changes), no unit or container already on another note.
 */
export function checkDeliveryNote(
  raw: unknown,
  ctx: Omit<ImportContext, 'store' | 'nonces'>,
): CheckedNote | Refusal {
  const refuse = (
    code: NoteRefusalCode,
    message: string,
    extra: { path?: string; deliveryId?: string } = {},
  ) => ({ ok: false, code, message, ...extra }) as const;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return refuse('malformed', 'expected a JSON object (a signed delivery note)');
  if (!('sig' in raw)) return refuse('unsigned', 'the delivery note carries no signature (sig)');
  const version = (raw as { v?: unknown }).v;
  if (version !== 1)
    return refuse('unsupported_version', `delivery note version ${JSON.stringify(version)}: expected 1`);
  const parsed = signedDeliveryNoteSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join('.');
    return refuse('malformed', `${path || '(note)'}: ${issue.message}`, { path });
  }
  // The signature covers the document as sent (defaults not filled in).
  const envelope = parsed.data;
  const deliveryId = envelope.note.deliveryId;
  if (ctx.keys.length === 0 || !verifyCommandSignature(raw as { sig: string }, ctx.keys))
    return refuse('bad_signature', 'signature does not verify with a pinned upstream key', { deliveryId });
  if (envelope.target.storeId !== ctx.storeId)
    return refuse(
      'wrong_store',
      `note addressed to store ${envelope.target.storeId}; this is store ${ctx.storeId}`,
      { deliveryId },
    );
  const issued = Date.parse(envelope.issuedAt);
  const expires = Date.parse(envelope.expiresAt);
  if (issued - ctx.maxClockSkewMs > ctx.nowMs)
    return refuse('not_yet_valid', `issued in the future (${envelope.issuedAt})`, { deliveryId });
  if (expires + ctx.maxClockSkewMs < ctx.nowMs)
    return refuse('expired', `expired at ${envelope.expiresAt}`, { deliveryId });
  const plan = planNote(envelope.note);
  if (!plan.ok) return refuse(plan.code, `${plan.path}: ${plan.message}`, { path: plan.path, deliveryId });
  return { ok: true, envelope, plan, keepNonceUntilMs: expires + ctx.maxClockSkewMs };
}

/**
 * Stores a checked note in one transaction: under the write lock, its nonce never seen (replay),
 * the delivery id new or with the very same content (`already_imported`, nothing changes), no unit
 * or container already on another note. The checks before it (`checkDeliveryNote`) hold no lock.
 */
export function storeDeliveryNote(checked: CheckedNote, ctx: ImportContext): ImportResult {
  const { envelope, plan } = checked;
  const deliveryId = envelope.note.deliveryId;
  const refuse = (code: NoteRefusalCode, message: string) =>
    ({ ok: false, code, message, deliveryId }) as const;
  const nowIso = new Date(ctx.nowMs).toISOString();
  const { store } = ctx;
  try {
    return store.db
      .transaction((): ImportResult => {
        if (!ctx.nonces.claimNonce(envelope.id, checked.keepNonceUntilMs, ctx.nowMs))
          throw new Refused(refuse('replayed', `note message ${envelope.id} was received before`));
        const existing = store.noteByDeliveryId(deliveryId);
        if (existing && existing.contentHash !== plan.contentHash)
          throw new Refused(
            refuse('delivery_conflict', `delivery ${deliveryId} was imported before with different contents`),
          );
        // The same note again under a new message id: harmless; rolled back so nothing is kept of it.
        if (existing) throw new AlreadyImported(existing.id, existing.units);
        const noteId = store.insertNote(
          {
            deliveryId,
            contentHash: plan.contentHash,
            nonce: envelope.id,
            ...(envelope.keyId ? { keyId: envelope.keyId } : {}),
            storeId: ctx.storeId,
            supplierId: envelope.note.supplier.id,
            supplierName: envelope.note.supplier.name,
            expectedArrival: envelope.note.expectedArrival,
            issuedAt: envelope.issuedAt,
            expiresAt: envelope.expiresAt,
          },
          plan,
          nowIso,
        );
        return { ok: true, status: 'imported', deliveryId, noteId, units: plan.units.length };
      })
      .immediate();
  } catch (error) {
    if (error instanceof Refused) return error.result;
    if (error instanceof AlreadyImported)
      return { ok: true, status: 'already_imported', deliveryId, noteId: error.noteId, units: error.units };
    if (error instanceof UnitTaken) return refuse('unit_on_other_note', error.message);
    throw error;
  }
}
