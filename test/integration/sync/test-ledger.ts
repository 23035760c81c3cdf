import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { SqliteDatabase } from '../../../terminal/db/open-database.js';
import type { LedgerRecord, OutboxReader, RecordType } from '../../../terminal/ledger/types.js';
import { GENESIS_HASH, recordHash } from '../../../upstream/record-verify.js';

/**
 * A minimal signed, hash-chained ledger with an outbox over SQLite, standing in for
 * terminal/ledger until it lands: records survive process restarts, acknowledge() persists.
 */
export class TestLedger implements OutboxReader {
  readonly publicKey: KeyObject;
  private readonly privateKey: KeyObject;
  private seq: number;
  private prevHash: string;
  private readonly insert;
  private readonly selectPending;
  private readonly ack;

  constructor(
    private readonly db: SqliteDatabase,
    readonly storeId: string,
    readonly terminalId: string,
    keys?: { privateKey: KeyObject; publicKey: KeyObject },
  ) {
    const pair = keys ?? generateKeyPairSync('ed25519');
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    db.exec(`CREATE TABLE IF NOT EXISTS test_records (seq INTEGER PRIMARY KEY, json TEXT NOT NULL, at TEXT NOT NULL, sent INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS test_acked (k INTEGER PRIMARY KEY CHECK (k = 1), seq INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS test_records_pending ON test_records (sent, seq);
      INSERT OR IGNORE INTO test_acked VALUES (1, 0);`);
    const last = db.prepare('SELECT seq, json FROM test_records ORDER BY seq DESC LIMIT 1').get() as
      | { seq: number; json: string }
      | undefined;
    this.seq = last?.seq ?? 0;
    this.prevHash = last ? (JSON.parse(last.json) as LedgerRecord).hash : GENESIS_HASH;
    this.insert = db.prepare('INSERT INTO test_records (seq, json, at) VALUES (?, ?, ?)');
    this.selectPending = db.prepare(
      'SELECT json FROM test_records WHERE sent = 0 AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.ack = db.prepare('UPDATE test_records SET sent = 1 WHERE sent = 0 AND seq <= ?');
  }

  append(type: RecordType, payload: Record<string, unknown>, at = new Date().toISOString()): LedgerRecord {
    const body = {
      id: `${this.terminalId}-${String(this.seq + 1).padStart(8, '0')}`,
      seq: this.seq + 1,
      type,
      at,
      storeId: this.storeId,
      terminalId: this.terminalId,
      payload,
      prevHash: this.prevHash,
    };
    const hash = recordHash(body);
    const record: LedgerRecord = {
      ...body,
      hash,
      signature: sign(null, Buffer.from(hash, 'hex'), this.privateKey).toString('base64'),
    };
    this.insert.run(record.seq, JSON.stringify(record), at);
    this.seq = record.seq;
    this.prevHash = hash;
    return record;
  }

  appendMany(n: number, payload: (i: number) => Record<string, unknown> = (i) => ({ n: i })): void {
    this.db.transaction(() => {
      for (let i = 0; i < n; i++) this.append('receipt_printed', payload(i));
    })();
  }

  pending(afterSeq: number, limit: number): LedgerRecord[] {
    return (this.selectPending.all(afterSeq, limit) as { json: string }[]).map(
      (r) => JSON.parse(r.json) as LedgerRecord,
    );
  }

  acknowledge(seq: number): void {
    this.db.transaction(() => {
      this.ack.run(seq);
      this.db.prepare('UPDATE test_acked SET seq = MAX(seq, ?) WHERE k = 1').run(seq);
    })();
  }

  stats(): { pending: number; oldestPendingAt?: string; lastAckedSeq: number } {
    const p = this.db
      .prepare('SELECT COUNT(*) AS n, MIN(at) AS oldest FROM test_records WHERE sent = 0')
      .get() as {
      n: number;
      oldest: string | null;
    };
    const a = this.db.prepare('SELECT seq FROM test_acked WHERE k = 1').get() as { seq: number };
    return { pending: p.n, ...(p.oldest ? { oldestPendingAt: p.oldest } : {}), lastAckedSeq: a.seq };
  }
}
