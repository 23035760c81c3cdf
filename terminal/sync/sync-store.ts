import { migrate, type SqliteDatabase } from '../db/open-database.js';

/** Sync's own tables (its module name in schema_migrations is `sync`). Steps are append-only. */
const STEPS = [
  `CREATE TABLE sync_command_nonces (id TEXT PRIMARY KEY, expires_at_ms INTEGER NOT NULL, received_at TEXT NOT NULL)`,
  `CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
];

/** Persistent state of the link: command nonces (replay protection) and transfer progress. */
export class SyncStore {
  private readonly insertNonce;
  private readonly pruneNonces;
  private readonly getState;
  private readonly putState;
  private readonly delState;

  constructor(db: SqliteDatabase) {
    migrate(db, 'sync', STEPS);
    this.insertNonce = db.prepare(
      'INSERT OR IGNORE INTO sync_command_nonces (id, expires_at_ms, received_at) VALUES (?, ?, ?)',
    );
    this.pruneNonces = db.prepare('DELETE FROM sync_command_nonces WHERE expires_at_ms < ?');
    this.getState = db.prepare('SELECT value FROM sync_state WHERE key = ?');
    this.putState = db.prepare(
      'INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.delState = db.prepare('DELETE FROM sync_state WHERE key = ?');
  }

  /**
   * Records a command id; false when it was seen before (a replay). Ids are kept until their
   * command expired plus the allowed clock skew, after which the expiry check alone refuses it.
   */
  claimNonce(id: string, keepUntilMs: number, nowMs: number): boolean {
    this.pruneNonces.run(nowMs);
    return this.insertNonce.run(id, keepUntilMs, new Date(nowMs).toISOString()).changes === 1;
  }

  get<T>(key: string): T | undefined {
    const row = this.getState.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    this.putState.run(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.delState.run(key);
  }
}
