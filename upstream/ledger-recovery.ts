import type { SqliteDatabase } from '../terminal/db/open-database.js';
import type { Logger } from '../terminal/logger.js';
import {
  type LedgerRequest,
  type LedgerTip,
  ledgerRequestSchema,
  type RestoredWriteOff,
  type WriteOffPage,
} from '../terminal/sync/ledger-protocol.js';
import { decodeJson, encodeFrame } from '../terminal/sync/protocol.js';
import type { IngestBatch, IngestResult, IngestStore } from './ingest-store.js';
import { recoveryAlerts, returnedWriteOffSeqs } from './storage/chain-check.js';
import type { IngestStorage } from './storage/contract.js';

type Answer =
  | { status: 'ok'; data: LedgerTip | WriteOffPage }
  | { status: 'error'; code: string; message: string };

/** Where upstream's copy of a terminal's chain ends, with the key it enrolled. */
export function ledgerTip(db: SqliteDatabase, storeId: string, terminalId: string): LedgerTip | undefined {
  const row = db
    .prepare(
      'SELECT last_seq, last_hash, public_key FROM up_terminals WHERE store_id = ? AND terminal_id = ?',
    )
    .get(storeId, terminalId) as { last_seq: number; last_hash: string; public_key: string } | undefined;
  return row && { seq: row.last_seq, hash: row.last_hash, publicKey: row.public_key };
}

/**
 * The terminal's write-offs after `afterSeq` that no return of the same terminal took back, in
 * sequence order: what it must refuse to sell again once its ledger is rebuilt.
 */
export function activeWriteOffs(
  db: SqliteDatabase,
  storeId: string,
  terminalId: string,
  afterSeq: number,
  limit: number,
): WriteOffPage {
  const returned = returnedWriteOffSeqs(
    db
      .prepare("SELECT payload FROM up_records WHERE store_id = ? AND terminal_id = ? AND type = 'return'")
      .pluck()
      .all(storeId, terminalId) as string[],
  );
  const rows = db
    .prepare(
      `SELECT seq, id, at, payload FROM up_records
       WHERE store_id = ? AND terminal_id = ? AND type = 'write_off' AND seq > ? ORDER BY seq LIMIT ?`,
    )
    .all(storeId, terminalId, afterSeq, limit) as { seq: number; id: string; at: string; payload: string }[];
  const writeOffs: RestoredWriteOff[] = [];
  for (const row of rows) {
    if (returned.has(row.seq)) continue;
    const p = JSON.parse(row.payload) as { codeKey?: unknown; saleId?: unknown };
    if (typeof p.codeKey !== 'string' || typeof p.saleId !== 'string') continue;
    writeOffs.push({ seq: row.seq, id: row.id, codeKey: p.codeKey, saleId: p.saleId, at: row.at });
  }
  return { writeOffs, next: rows.length === limit ? rows.at(-1)!.seq : null };
}

async function answer(
  storage: Pick<IngestStorage, 'ledgerTip' | 'activeWriteOffs'>,
  storeId: string,
  terminalId: string,
  request: LedgerRequest,
): Promise<Answer> {
  const tip = await storage.ledgerTip(storeId, terminalId);
  if (!tip)
    return { status: 'error', code: 'unknown_terminal', message: `${storeId}/${terminalId} is not enrolled` };
  if (request.op === 'tip') return { status: 'ok', data: tip };
  return {
    status: 'ok',
    data: await storage.activeWriteOffs(storeId, terminalId, request.afterSeq, request.limit),
  };
}

/**
 * Answers one `ledger/req` of a terminal on its own `ledger/res` (never on a topic the request
 * names: a forged reply-to must not make upstream write into another terminal's prefix).
 */
export async function answerLedgerRequest(
  deps: {
    storage: Pick<IngestStorage, 'ledgerTip' | 'activeWriteOffs'>;
    logger: Logger;
    publish: (topic: string, payload: Buffer, correlation?: Buffer) => Promise<void>;
  },
  who: { storeId: string; terminalId: string; responseTopic: string },
  payload: Buffer,
  correlation: Buffer | undefined,
): Promise<void> {
  const parsed = ledgerRequestSchema.safeParse(decodeJson(payload, 64 * 1024));
  if (!parsed.success || parsed.data.replyTo !== who.responseTopic) {
    deps.logger.warn(
      { ...who, issue: parsed.success ? 'foreign replyTo' : parsed.error.issues[0]?.message },
      'ledger request refused',
    );
    return;
  }
  const result = await answer(deps.storage, who.storeId, who.terminalId, parsed.data);
  deps.logger.info(
    { storeId: who.storeId, terminalId: who.terminalId, op: parsed.data.op },
    'ledger recovery request answered',
  );
  const frame =
    result.status === 'ok'
      ? encodeFrame(
          { correlation: parsed.data.correlation, status: 'ok' },
          Buffer.from(JSON.stringify(result.data)),
        )
      : encodeFrame({
          correlation: parsed.data.correlation,
          status: 'error',
          error: { code: result.code, message: result.message },
        });
  await deps.publish(who.responseTopic, frame, correlation);
}

/**
 * Ingests `batches` (IngestStore.ingestMany) and, in the same transaction, raises a
 * `ledger_recovered` alert for every accepted alert record of that kind: the first record of a
 * ledger rebuilt by `veriterm ledger recover`, which continues the stored chain.
 */
export function ingestWithRecoveryAlerts(
  store: IngestStore,
  batches: readonly IngestBatch[],
): IngestResult[] {
  return store.db
    .transaction(() => {
      const results = store.ingestMany(batches);
      results.forEach((result, i) => {
        const { storeId, terminalId } = batches[i]!;
        for (const a of recoveryAlerts(result.accepted))
          store.alert(storeId, terminalId, 'ledger_recovered', a.seq, a.message);
      });
      return results;
    })
    .immediate();
}
