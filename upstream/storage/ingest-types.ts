import type { UnitChangeStatus } from '../../terminal/ledger/record-decoders.js';
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
  /**
   * `received`: checked in at the store (a goods receipt); registry deltas skip it, as they skip
   * `transferred`, `lost` and `found` (stock at one store). `destroyed` and `returned_to_supplier`
   * come from `stock_out` records (terminal/stock) and are published (registry-publisher.ts).
   */
  status: UnitChangeStatus;
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
  /**
   * The batch starts beyond the stored tip and asked to be held (`IngestBatch.holdIfEarly`):
   * nothing was stored or alerted; the caller retries it shortly (its predecessor is probably
   * being stored by another worker) and acknowledges nothing for it yet.
   */
  held?: true;
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
  /**
   * Several workers share a terminal's batches (MQTT shared subscriptions deliver consecutive
   * batches to different workers), so a batch may arrive before its predecessor is stored. With
   * this set, a batch whose first new record is beyond the tip + 1 is held (`IngestResult.held`)
   * instead of refused as a gap; the caller retries it, and after its grace time ingests it
   * without the flag, which detects and alerts the gap exactly as before.
   */
  holdIfEarly?: boolean;
}
