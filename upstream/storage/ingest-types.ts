import type { LedgerRecord } from '../../terminal/ledger/types.js';

export type IngestProblem =
  | 'unknown_terminal'
  | 'wrong_terminal'
  | 'gap'
  | 'bad_chain'
  | 'bad_hash'
  | 'bad_signature'
  | 'conflict'
  | 'revoked_terminal';

/**
 * The alert for an accepted record whose payload its type's decoder refuses
 * (terminal/ledger/record-decoders.ts): the record is stored (the signed chain stays whole) but
 * implies no unit event, since upstream cannot tell what it says.
 */
export const UNDECODABLE_RECORD = 'undecodable_record';

export interface UnitEvent {
  id: number;
  key: string;
  /** `received`: checked in at the store (a goods receipt); registry deltas skip it. */
  status: 'sold' | 'active' | 'received';
  storeId: string;
  terminalId: string;
  at: string;
}

export interface IngestResult {
  /** Highest contiguous sequence now persisted for the terminal: what upstream acknowledges. */
  ackSeq: number;
  /** Records stored by this call (not duplicates), in order. */
  accepted: LedgerRecord[];
  duplicates: number;
  /** Unit events (sold / active again) the accepted records added: a registry delta is due. */
  unitEvents: number;
  problem?: { code: IngestProblem; seq: number; message: string };
}

/** One terminal's records as a batch brought them. */
export interface IngestBatch {
  storeId: string;
  terminalId: string;
  records: readonly LedgerRecord[];
  /**
   * Set when upstream itself computed every record's `hash` and `prevHash` (a version 2 batch,
   * record-verify.ts `recordsFromCompact`): the canonical payload texts those hashes cover. The
   * hashes are then not recomputed; the chain link to the stored tip and the signatures are
   * checked as for any batch.
   */
  payloads?: readonly string[];
}
