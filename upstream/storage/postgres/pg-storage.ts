import { createHash } from 'node:crypto';
import pg from 'pg';
import { VeritermError } from '../../../terminal/errors.js';
import type { Logger } from '../../../terminal/logger.js';
import { parseEd25519PublicKey } from '../../../terminal/sync/command-signing.js';
import { EnforcementRecorder } from '../../enforcement/enforcement-recorder.js';
import { MAX_CODE_FAILURES, type PendingCode } from '../../enrolment-store.js';
import { GENESIS_HASH } from '../../record-verify.js';
import { returnedWriteOffSeqs } from '../chain-check.js';
import type {
  DeliveryStorage,
  EnrolmentStorage,
  IngestStorage,
  PublisherLease,
  UpstreamStorage,
} from '../contract.js';
import { migratePostgres } from './migrations.js';
import { postgresDeliveries } from './pg-deliveries.js';
import { enforceInTransaction } from './pg-enforcement.js';
import { ingestInTransaction, insertAlerts, KeyCache } from './pg-ingest.js';
import { type PgReleaseOptions, PgReleaseStorage } from './pg-releases.js';
import { advisoryLease } from './publisher-lease.js';

/** SQLSTATEs worth one more try of the whole transaction: deadlock_detected, serialization_failure. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

/** bigint columns (seq, ids) as JavaScript numbers: every value here stays far below 2^53. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as never)) as never,
};

export interface PostgresStorageOptions {
  /** `postgres://user@host:5432/db` (libpq URL; password from the URL or PGPASSWORD). */
  url: string;
  logger: Logger;
  signatureCheck?: 'batch-tip' | 'every';
  /** Pooled connections of this worker (ingest, reads). @default 4 */
  poolSize?: number;
  /** Chunk size of releases this worker adds, and its memory for release chunks (pg-releases.ts). */
  releases?: PgReleaseOptions;
}

/**
 * The chain engine: the upstream on PostgreSQL, shared by any number of workers on any machines.
 * Schema migrated on open (migrations.ts); each ingest call one transaction with the touched
 * terminals' tips locked (pg-ingest.ts); the registry publisher chosen by an advisory lock.
 */
export class PostgresUpstreamStorage implements UpstreamStorage {
  readonly engine = 'postgres' as const;
  readonly ingest: IngestStorage;
  readonly enrolment: EnrolmentStorage;
  readonly deliveries: DeliveryStorage;
  readonly publisherLease: PublisherLease;
  readonly releases: PgReleaseStorage;
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    options: PostgresStorageOptions,
  ) {
    const keys = new KeyCache();
    const recorder = new EnforcementRecorder();
    const log = options.logger.child({ module: 'upstream-postgres' });
    const signatureCheck = options.signatureCheck ?? 'batch-tip';
    const q = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
      (await pool.query<R>(text, values)).rows;
    this.ingest = {
      ingest: (batches) =>
        this.transaction(async (client) => {
          const results = await ingestInTransaction(client, batches, keys, signatureCheck);
          await enforceInTransaction(client, recorder, batches, results);
          return results;
        }),
      alert: (s, t, kind, seq, message) => insertAlerts(pool, [[s, t, kind, seq, message]]),
      alerts: () =>
        q(
          'SELECT store_id AS "storeId", terminal_id AS "terminalId", kind, seq, message FROM up_alerts ORDER BY id',
        ),
      enrol: async (s, t, key) => {
        parseEd25519PublicKey(key);
        await q(
          `INSERT INTO up_terminals (store_id, terminal_id, public_key, last_hash) VALUES ($1, $2, $3, $4)
           ON CONFLICT (store_id, terminal_id) DO UPDATE SET public_key = excluded.public_key`,
          [s, t, key, GENESIS_HASH],
        );
      },
      revoke: async (s, t, at = new Date()) =>
        (
          await pool.query(
            'UPDATE up_terminals SET revoked_at = coalesce(revoked_at, $1) WHERE store_id = $2 AND terminal_id = $3',
            [at.toISOString(), s, t],
          )
        ).rowCount === 1,
      reinstate: async (s, t) => {
        await q('UPDATE up_terminals SET revoked_at = NULL WHERE store_id = $1 AND terminal_id = $2', [s, t]);
      },
      revokedTerminals: () =>
        q(
          `SELECT store_id AS "storeId", terminal_id AS "terminalId", revoked_at AS "revokedAt" FROM up_terminals
           WHERE revoked_at IS NOT NULL ORDER BY store_id, terminal_id`,
        ),
      enrolment: async (s, t) =>
        (
          await q<{ publicKey: string; revokedAt: string | null }>(
            'SELECT public_key AS "publicKey", revoked_at AS "revokedAt" FROM up_terminals WHERE store_id = $1 AND terminal_id = $2',
            [s, t],
          )
        )[0],
      rememberRevocationNonce: async (nonce, s, t, at) =>
        (
          await pool.query(
            'INSERT INTO up_revoke_nonces (nonce, store_id, terminal_id, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
            [nonce, s, t, at.toISOString()],
          )
        ).rowCount === 1,
      lastSeq: async (s, t) =>
        (
          await q<{ last_seq: number }>(
            'SELECT last_seq FROM up_terminals WHERE store_id = $1 AND terminal_id = $2',
            [s, t],
          )
        )[0]?.last_seq ?? 0,
      sequences: async (s, t) =>
        (
          await q<{ seq: number }>(
            `SELECT r.seq FROM up_records r JOIN up_terminals t ON t.num = r.terminal
             WHERE t.store_id = $1 AND t.terminal_id = $2 ORDER BY r.seq`,
            [s, t],
          )
        ).map((r) => r.seq),
      ledgerTip: async (s, t) => {
        const row = (
          await q<{ last_seq: number; last_hash: string; public_key: string }>(
            'SELECT last_seq, last_hash, public_key FROM up_terminals WHERE store_id = $1 AND terminal_id = $2',
            [s, t],
          )
        )[0];
        return row && { seq: row.last_seq, hash: row.last_hash, publicKey: row.public_key };
      },
      activeWriteOffs: async (s, t, afterSeq, limit) => {
        const terminal = `(SELECT num FROM up_terminals WHERE store_id = $1 AND terminal_id = $2)`;
        const returned = returnedWriteOffSeqs(
          (
            await q<{ payload: string }>(
              `SELECT payload FROM up_records WHERE terminal = ${terminal} AND type = 'return'`,
              [s, t],
            )
          ).map((r) => r.payload),
        );
        const rows = await q<{ seq: number; id: string; at: string; payload: string }>(
          `SELECT seq, id, at, payload FROM up_records
           WHERE terminal = ${terminal} AND type = 'write_off' AND seq > $3 ORDER BY seq LIMIT $4`,
          [s, t, afterSeq, limit],
        );
        const writeOffs = [];
        for (const row of rows) {
          if (returned.has(row.seq)) continue;
          const p = JSON.parse(row.payload) as { codeKey?: unknown; saleId?: unknown };
          if (typeof p.codeKey !== 'string' || typeof p.saleId !== 'string') continue;
          writeOffs.push({ seq: row.seq, id: row.id, codeKey: p.codeKey, saleId: p.saleId, at: row.at });
        }
        return { writeOffs, next: rows.length === limit ? rows.at(-1)!.seq : null };
      },
      unpublishedUnitEvents: (limit = 50_000) =>
        q(
          `SELECT id, key, status, store_id AS "storeId", terminal_id AS "terminalId", at FROM up_unit_events
           WHERE published_version IS NULL ORDER BY id LIMIT $1`,
          [limit],
        ),
      markPublished: async (ids, version) => {
        await q('UPDATE up_unit_events SET published_version = $1 WHERE id = ANY($2::bigint[])', [
          version,
          [...ids],
        ]);
      },
    };
    this.enrolment = enrolmentOn(pool, (fn) => this.transaction(fn));
    this.deliveries = postgresDeliveries(pool);
    this.publisherLease = advisoryLease(options.url, log, types);
    this.releases = new PgReleaseStorage(pool, (fn) => this.transaction(fn), options.releases);
    pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL connection lost'));
  }

  /** Connects, applies pending migrations, and returns the engine. Rejects naming the server when it cannot. */
  static async open(options: PostgresStorageOptions): Promise<PostgresUpstreamStorage> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 4,
      types,
      application_name: 'veriterm-upstream',
    });
    try {
      await migratePostgres(pool);
    } catch (error) {
      await pool.end();
      const where = redact(options.url);
      throw new VeritermError(
        'upstream_database',
        `upstream database ${where}: ${(error as Error).message} (check --db / VERITERM_UPSTREAM_DB and that the server runs)`,
        { cause: error },
      );
    }
    return new PostgresUpstreamStorage(pool, options);
  }

  /** Runs `fn` in one transaction, again from the start after a deadlock or serialization failure. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const code = (error as { code?: string }).code;
        if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE.has(code)) throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.publisherLease.release();
    await this.pool.end();
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

const CODE = `SELECT id, code, store_id AS "storeId", terminal_id AS "terminalId", scope, expires_at AS "expiresAt",
  used_at AS "usedAt", failures FROM enrol_codes`;

function enrolmentOn(
  pool: pg.Pool,
  transaction: <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
): EnrolmentStorage {
  return {
    issue: (input) =>
      transaction(async (client) => {
        const now = input.now ?? new Date();
        await client.query(
          'DELETE FROM enrol_codes WHERE store_id = $1 AND terminal_id = $2 AND used_at IS NULL',
          [input.storeId, input.terminalId],
        );
        const { rows } = await client.query<PendingCode>(
          `INSERT INTO enrol_codes (code, store_id, terminal_id, scope, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, code, store_id AS "storeId", terminal_id AS "terminalId", scope, expires_at AS "expiresAt",
             used_at AS "usedAt", failures`,
          [
            input.code,
            input.storeId,
            input.terminalId,
            input.scope,
            now.toISOString(),
            new Date(now.getTime() + input.ttlMs).toISOString(),
          ],
        );
        return rows[0]!;
      }),
    latest: async (s, t) =>
      (
        await pool.query<PendingCode>(
          `${CODE} WHERE store_id = $1 AND terminal_id = $2 ORDER BY id DESC LIMIT 1`,
          [s, t],
        )
      ).rows[0],
    consume: async (id, now = new Date()) =>
      (
        await pool.query('UPDATE enrol_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL', [
          now.toISOString(),
          id,
        ])
      ).rowCount === 1,
    fail: async (id) => {
      const { rows } = await pool.query<{ failures: number }>(
        'UPDATE enrol_codes SET failures = failures + 1 WHERE id = $1 RETURNING failures',
        [id],
      );
      return rows[0]?.failures ?? MAX_CODE_FAILURES;
    },
    recordTerminal: async (t) => {
      const keyId = createHash('sha256')
        .update(Buffer.from(t.publicKey, 'base64'))
        .digest('hex')
        .slice(0, 16);
      await pool.query(
        `INSERT INTO enrolled_terminals (store_id, terminal_id, role, public_key, key_id, enrolled_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (store_id, terminal_id) DO UPDATE SET role = excluded.role, public_key = excluded.public_key,
           key_id = excluded.key_id, enrolled_at = excluded.enrolled_at`,
        [t.storeId, t.terminalId, t.role, t.publicKey, keyId, (t.now ?? new Date()).toISOString()],
      );
    },
    terminal: async (s, t) =>
      (
        await pool.query<{ role: string; publicKey: string; keyId: string }>(
          'SELECT role, public_key AS "publicKey", key_id AS "keyId" FROM enrolled_terminals WHERE store_id = $1 AND terminal_id = $2',
          [s, t],
        )
      ).rows[0],
  };
}
