import { createHash } from 'node:crypto';
import { migrate, type SqliteDatabase } from '../terminal/db/open-database.js';

const MIGRATIONS = [
  `CREATE TABLE enrol_codes (
     id INTEGER PRIMARY KEY,
     code TEXT NOT NULL UNIQUE,
     store_id TEXT NOT NULL,
     terminal_id TEXT NOT NULL,
     scope TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     used_at TEXT,
     failures INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE enrolled_terminals (
     store_id TEXT NOT NULL,
     terminal_id TEXT NOT NULL,
     role TEXT NOT NULL,
     public_key TEXT NOT NULL,
     key_id TEXT NOT NULL,
     enrolled_at TEXT NOT NULL,
     PRIMARY KEY (store_id, terminal_id)
   );`,
];

export interface PendingCode {
  id: number;
  code: string;
  storeId: string;
  terminalId: string;
  scope: string;
  expiresAt: string;
  usedAt: string | null;
  failures: number;
}

/** Failed attempts against one terminal's open code before the code is burnt. */
export const MAX_CODE_FAILURES = 5;

/**
 * One-time enrolment codes and the terminals they enrolled, in upstream's SQLite database (so
 * `veriterm upstream enrol` in one process issues codes the running upstream answers in another).
 */
export class EnrolmentStore {
  constructor(readonly db: SqliteDatabase) {
    migrate(db, 'upstream-enrolment', MIGRATIONS);
  }

  /** Issues a code for one terminal; an open code for the same terminal is replaced. */
  issue(input: {
    code: string;
    storeId: string;
    terminalId: string;
    scope: string;
    ttlMs: number;
    now?: Date;
  }): PendingCode {
    const now = input.now ?? new Date();
    const expiresAt = new Date(now.getTime() + input.ttlMs).toISOString();
    return this.db
      .transaction(() => {
        this.db
          .prepare('DELETE FROM enrol_codes WHERE store_id = ? AND terminal_id = ? AND used_at IS NULL')
          .run(input.storeId, input.terminalId);
        const info = this.db
          .prepare(
            'INSERT INTO enrol_codes (code, store_id, terminal_id, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(input.code, input.storeId, input.terminalId, input.scope, now.toISOString(), expiresAt);
        return this.byId(Number(info.lastInsertRowid))!;
      })
      .immediate();
  }

  /** The newest code for a terminal (used or not), for the error message a technician sees. */
  latest(storeId: string, terminalId: string): PendingCode | undefined {
    const row = this.db
      .prepare(`${SELECT} WHERE store_id = ? AND terminal_id = ? ORDER BY id DESC LIMIT 1`)
      .get(storeId, terminalId) as PendingCode | undefined;
    return row;
  }

  /** Marks a code used; false when another worker used it first (single use across workers). */
  consume(id: number, now = new Date()): boolean {
    return (
      this.db
        .prepare('UPDATE enrol_codes SET used_at = ? WHERE id = ? AND used_at IS NULL')
        .run(now.toISOString(), id).changes === 1
    );
  }

  /** Counts a failed attempt; returns the new count. */
  fail(id: number): number {
    this.db.prepare('UPDATE enrol_codes SET failures = failures + 1 WHERE id = ?').run(id);
    return this.byId(id)?.failures ?? MAX_CODE_FAILURES;
  }

  recordTerminal(t: {
    storeId: string;
    terminalId: string;
    role: string;
    publicKey: string;
    now?: Date;
  }): void {
    const keyId = createHash('sha256').update(Buffer.from(t.publicKey, 'base64')).digest('hex').slice(0, 16);
    this.db
      .prepare(
        `INSERT INTO enrolled_terminals (store_id, terminal_id, role, public_key, key_id, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (store_id, terminal_id) DO UPDATE SET role = excluded.role, public_key = excluded.public_key,
           key_id = excluded.key_id, enrolled_at = excluded.enrolled_at`,
      )
      .run(t.storeId, t.terminalId, t.role, t.publicKey, keyId, (t.now ?? new Date()).toISOString());
  }

  terminal(
    storeId: string,
    terminalId: string,
  ): { role: string; publicKey: string; keyId: string } | undefined {
    return this.db
      .prepare(
        'SELECT role, public_key AS publicKey, key_id AS keyId FROM enrolled_terminals WHERE store_id = ? AND terminal_id = ?',
      )
      .get(storeId, terminalId) as { role: string; publicKey: string; keyId: string } | undefined;
  }

  private byId(id: number): PendingCode | undefined {
    return this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as PendingCode | undefined;
  }
}

const SELECT = `SELECT id, code, store_id AS storeId, terminal_id AS terminalId, scope, expires_at AS expiresAt,
  used_at AS usedAt, failures FROM enrol_codes`;
