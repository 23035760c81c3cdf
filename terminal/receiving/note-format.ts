import { z } from 'zod';

/**
 * The delivery note (advance shipping notice) upstream sends a store, as a signed downlink
 * document (docs/receiving.md). The envelope is signed like a downlink command
 * (terminal/sync/command-signing.ts: Ed25519 over canonicalJson of everything but `sig`, with the
 * upstream keys pinned at provisioning) and carries its own nonce, validity window and target
 * store. `v` versions the whole format: a terminal refuses a version it does not know.
 */
export const DELIVERY_NOTE_VERSION = 1;

/** Bounds on what an outsider can make a terminal store from one note. */
export const NOTE_LIMITS = {
  /** Units in one note (pallets, cases and loose units together). */
  maxUnits: 200_000,
  /** Containers (pallets and cases) in one note. */
  maxContainers: 20_000,
  maxUnitsPerContainer: 10_000,
  maxCasesPerPallet: 1_000,
  /** A raw unit code as it would be scanned (the code reader's own cap is 4096). */
  maxCodeChars: 512,
} as const;

const text = (max: number) => z.string().min(1).max(max);
const id = () =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'expected 1–64 of A-Z a-z 0-9 . _ : -');
const iso = () => z.iso.datetime({ offset: true });

/** A unit code as scanned (any form the code reader accepts: cn20, GS1 element string, Digital Link). */
const unitCode = text(NOTE_LIMITS.maxCodeChars);
const units = z.array(unitCode).max(NOTE_LIMITS.maxUnitsPerContainer);

/** SSCC: 18 digits (the AI 00 value, check digit included); `00` + these is its key. */
const sscc = z
  .string()
  .regex(/^\d{18}$/, 'expected an SSCC of 18 digits (AI 00 value, check digit included)');

/** A case: labelled with an SSCC, or with a GTIN + serial (a unit code of the outer pack). */
export const caseSchema = z.strictObject({
  sscc: sscc.optional(),
  /** The case's own GTIN + serial code, as scanned (e.g. `(01)…(21)…`), when it has no SSCC. */
  code: unitCode.optional(),
  units: units.min(1),
});

export const palletSchema = z.strictObject({
  sscc,
  cases: z.array(caseSchema).max(NOTE_LIMITS.maxCasesPerPallet).default([]),
  /** Units stacked on the pallet outside any case. */
  units: units.default([]),
});

export const deliveryNoteSchema = z.strictObject({
  deliveryId: id(),
  supplier: z.strictObject({ id: id(), name: text(200) }),
  expectedArrival: iso(),
  pallets: z.array(palletSchema).max(NOTE_LIMITS.maxContainers).default([]),
  /** Cases delivered without a pallet. */
  cases: z.array(caseSchema).max(NOTE_LIMITS.maxContainers).default([]),
  /** Units delivered loose (a flat note has only these). */
  units: z.array(unitCode).max(NOTE_LIMITS.maxUnits).default([]),
});

export const signedDeliveryNoteSchema = z.strictObject({
  v: z.literal(DELIVERY_NOTE_VERSION),
  kind: z.literal('delivery_note'),
  /** Nonce of this message (ULID): a terminal accepts each id at most once. */
  id: z.string().min(8).max(64),
  target: z.strictObject({ storeId: text(64) }),
  issuedAt: iso(),
  expiresAt: iso(),
  keyId: z.string().max(64).optional(),
  note: deliveryNoteSchema,
  sig: z.string().min(1).max(200),
});

export type CaseInput = z.input<typeof caseSchema>;
export type PalletInput = z.input<typeof palletSchema>;
export type DeliveryNoteInput = z.input<typeof deliveryNoteSchema>;
export type DeliveryNote = z.output<typeof deliveryNoteSchema>;
export type SignedDeliveryNote = z.output<typeof signedDeliveryNoteSchema>;
export type UnsignedDeliveryNote = Omit<z.input<typeof signedDeliveryNoteSchema>, 'sig'>;
