import { z } from 'zod';
import { PROTOCOL_VERSION } from './protocol.js';

/**
 * Ledger recovery over MQTT request/response (`vt/{store}/{terminal}/ledger/req|res`, framed as the
 * registry exchange: protocol.ts `encodeFrame`), used by `veriterm ledger recover` when a terminal
 * lost its ledger: where upstream's copy of the chain ends, and which of the terminal's write-offs
 * upstream holds as still active. Shared by terminal/ and upstream/.
 */
export const WRITE_OFF_PAGE_MAX = 2000;

const envelope = {
  v: z.literal(PROTOCOL_VERSION),
  replyTo: z.string().max(200),
  correlation: z.string().max(100),
};

export const ledgerRequestSchema = z.discriminatedUnion('op', [
  z.object({ ...envelope, op: z.literal('tip') }),
  z.object({
    ...envelope,
    op: z.literal('write_offs'),
    afterSeq: z.number().int().nonnegative(),
    limit: z.number().int().positive().max(WRITE_OFF_PAGE_MAX),
  }),
]);
export type LedgerRequest = z.infer<typeof ledgerRequestSchema>;

/** Upstream's last stored (hence acknowledged) record of the terminal, and the key it enrolled. */
export const ledgerTipSchema = z.object({
  seq: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** SPKI PEM of the terminal key upstream verifies this terminal's records with. */
  publicKey: z.string().min(1).max(1000),
});
export type LedgerTip = z.infer<typeof ledgerTipSchema>;

/** One write-off of the terminal upstream holds as active (not taken back by a return). */
export const restoredWriteOffSchema = z.object({
  seq: z.number().int().positive(),
  id: z.string().min(1).max(64),
  codeKey: z.string().min(1).max(200),
  saleId: z.string().min(1).max(64),
  at: z.string().min(1).max(40),
});
export type RestoredWriteOff = z.infer<typeof restoredWriteOffSchema>;

export const writeOffPageSchema = z.object({
  writeOffs: z.array(restoredWriteOffSchema).max(WRITE_OFF_PAGE_MAX),
  /** Ask again with `afterSeq: next`; null when this was the last page. */
  next: z.number().int().positive().nullable(),
});
export type WriteOffPage = z.infer<typeof writeOffPageSchema>;
