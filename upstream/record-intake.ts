import type { Logger } from '../terminal/logger.js';
import { decodeJson, PROTOCOL_VERSION, parseRecordBatch } from '../terminal/sync/protocol.js';
import { terminalTopics } from '../terminal/sync/topics.js';
import { IngestQueue } from './ingest-queue.js';
import type { UpstreamOptions } from './options.js';
import { recordsFromCompact } from './record-verify.js';
import type { UpstreamStorage } from './storage/contract.js';
import type { IngestBatch, IngestResult } from './storage/ingest-types.js';
import type { TransferForwarder } from './transfer-forwarder.js';

/**
 * Record batches per ingest transaction: a third of a terminal's default
 * in-flight window (`drain.maxInFlightBatches` 24). Each commit is an fsync that blocks this event
 * loop; in the sync bench 4 per commit spent ~0.4 s of a ~2 s drain waiting on the disk, 8 about
 * 0.15 s, and 12 was no faster than 8.
 */
const FLUSH_BATCHES = 8;
/**
 * Beyond FLUSH_BATCHES, batches keep joining one commit while they add up to no more than 8
 * full-size batches (a terminal's drain.maxBatchBytes, 120 KiB): a fleet's batches are small (a
 * sale or two each), and at 8 per commit the fsync per commit, not the work, capped ingest (the
 * fleet simulator: ~1,100 records/s from 1,000 terminals, upstream 10 % busy).
 */
const FLUSH_BYTES = FLUSH_BATCHES * 120 * 1024;

/** How soon a held batch (see `gapGraceMs`) is tried again. */
const HELD_RETRY_MS = 50;
/** Above this many batches waiting at once, nothing more is held (each is ingested as it is). */
const MAX_HELD_BATCHES = 2000;

export interface RecordIntakeDeps {
  storage: UpstreamStorage;
  options: Pick<UpstreamOptions, 'maxBatchBytes' | 'gapGraceMs'>;
  log: Logger;
  publish(topic: string, payload: string, opts: { qos: 1; retain: boolean }): Promise<unknown>;
  /** Starts tracking work that the upstream's stop() lets finish. */
  track(work: Promise<unknown>): void;
  transfers: Pick<TransferForwarder, 'noteAccepted'>;
  onIngested(event: { storeId: string; terminalId: string } & IngestResult): void;
  /** An ingest call stored unit events: registry deltas are due. */
  onSoldUnits(): void;
}

/**
 * A worker's received record batches on their way in: decoded and checked against their topic,
 * ingested in calls (upstream/ingest-queue.ts: batches that arrive together in one transaction,
 * one fsync; on PostgreSQL a batch that arrived before its predecessor was stored by another
 * worker is held for up to gapGraceMs), then noted (receipts, diversion, transfers) and
 * acknowledged with one retained ack per terminal.
 */
export function createRecordIntake(deps: RecordIntakeDeps): IngestQueue {
  const engine = deps.storage.engine;
  const queue = new IngestQueue({
    decode: (storeId, terminalId, payload) => decodeBatch(storeId, terminalId, payload),
    ingest: (batches) => deps.storage.ingest.ingest(batches),
    ingested: (batches, results) => acknowledge(batches, results),
    maxBatches: FLUSH_BATCHES,
    maxBytes: FLUSH_BYTES,
    maxCalls: engine === 'postgres' ? 2 : 1,
    gapGraceMs: deps.options.gapGraceMs ?? (engine === 'postgres' ? 1000 : 0),
    maxHeld: MAX_HELD_BATCHES,
    heldRetryMs: HELD_RETRY_MS,
    track: (work) => deps.track(work),
    onError: (error) => deps.log.error({ err: error }, 'record ingest failed'),
  });

  /** After an ingest call: notes, events and one retained ack per terminal. */
  const acknowledge = async (
    batches: readonly IngestBatch[],
    results: readonly IngestResult[],
  ): Promise<void> => {
    // One ack per terminal: the last result carries its highest contiguous sequence.
    const acks = new Map<string, { storeId: string; terminalId: string; result: IngestResult }>();
    let soldUnits = false;
    for (const [i, result] of results.entries()) {
      const { storeId, terminalId } = batches[i]!;
      if (result.held) continue; // back in the queue
      if (result.problem)
        deps.log.warn({ storeId, terminalId, problem: result.problem }, 'record batch not fully ingested');
      if (result.unitEvents > 0) soldUnits = true;
      acks.set(`${storeId}/${terminalId}`, { storeId, terminalId, result });
      // After the ingest commit: a crash in between loses only this note of them (the records and
      // their `received` unit events are ingest's, committed).
      try {
        await deps.storage.deliveries.noteRecords(storeId, terminalId, result.accepted);
      } catch (error) {
        deps.log.error({ err: error, storeId, terminalId }, 'receipts and diversion alerts not noted');
      }
      try {
        await deps.transfers.noteAccepted(storeId, terminalId, result.accepted);
      } catch (error) {
        deps.log.error({ err: error, storeId, terminalId }, 'transfer notes not kept');
      }
      deps.onIngested({ storeId, terminalId, ...result });
    }
    if (soldUnits) deps.onSoldUnits();
    await Promise.all(
      [...acks.values()].map(({ storeId, terminalId, result }) => {
        const ack = {
          v: PROTOCOL_VERSION,
          ackSeq: result.ackSeq,
          ...(result.problem ? { problem: { code: result.problem.code, seq: result.problem.seq } } : {}),
          // Our clock, so terminals can measure their skew on every live ack (not only on commands).
          at: new Date().toISOString(),
        };
        // Retained, so a terminal that (re)connects learns at once how far upstream got.
        return deps.publish(terminalTopics(storeId, terminalId).acks, JSON.stringify(ack), {
          qos: 1,
          retain: true,
        });
      }),
    );
  };

  /** The batch to ingest, or undefined (logged, or an alert) when it cannot be. */
  const decodeBatch = (storeId: string, terminalId: string, payload: Buffer): IngestBatch | undefined => {
    let parsed: ReturnType<typeof parseRecordBatch>;
    try {
      parsed = parseRecordBatch(decodeJson(payload, deps.options.maxBatchBytes));
    } catch (error) {
      parsed = { ok: false, error: `not JSON (or deflated JSON): ${(error as Error).message}` };
    }
    if (!parsed.ok) {
      deps.log.warn({ storeId, terminalId, issue: parsed.error }, 'malformed record batch refused');
      return undefined;
    }
    const batch = parsed.batch;
    if (batch.storeId !== storeId || batch.terminalId !== terminalId) {
      deps.track(
        deps.storage.ingest
          .alert(storeId, terminalId, 'wrong_terminal', null, 'batch names another terminal than its topic')
          .catch((error: unknown) => deps.log.error({ err: error }, 'alert not stored')),
      );
      return undefined;
    }
    // Version 2 (columns): hashes and chain links are derived here, then checked at ingest.
    return batch.v === 2
      ? { storeId, terminalId, ...recordsFromCompact(batch) }
      : { storeId, terminalId, records: batch.records };
  };

  return queue;
}
