import type pg from 'pg';

/**
 * The PostgreSQL schema of the upstream, as versioned steps applied on start (step N is version
 * N + 1). Append-only: never edit a shipped step, add one. The same convention as the SQLite
 * engine's `migrate` (terminal/db/open-database.ts), so no migration tool: a tool (node-pg-migrate,
 * graphile-migrate) would add a dependency and a second file layout for what is one array here.
 *
 * Differences from the SQLite layout, on purpose: one row per record (PostgreSQL's multi-row
 * INSERT from arrays is cheap, and the raw-baseline bench compares against exactly that), payloads
 * as `text` (the signed canonical text stays byte for byte; `jsonb` would reorder keys).
 */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE up_terminals (
     num integer GENERATED ALWAYS AS IDENTITY UNIQUE,
     store_id text NOT NULL, terminal_id text NOT NULL, public_key text NOT NULL,
     last_seq bigint NOT NULL DEFAULT 0, last_hash text NOT NULL, last_at timestamptz,
     revoked_at text,
     PRIMARY KEY (store_id, terminal_id));
   CREATE TABLE up_records (
     terminal integer NOT NULL, seq bigint NOT NULL, id text NOT NULL, type text NOT NULL,
     at text NOT NULL, hash text NOT NULL, signature text NOT NULL, payload text NOT NULL,
     ingested_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (terminal, seq));
   CREATE TABLE up_alerts (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at text NOT NULL,
     store_id text NOT NULL, terminal_id text NOT NULL, kind text NOT NULL, seq bigint,
     message text NOT NULL,
     UNIQUE (store_id, terminal_id, kind, seq));
   CREATE TABLE up_unit_events (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key text NOT NULL, status text NOT NULL,
     store_id text NOT NULL, terminal_id text NOT NULL, at text NOT NULL, record_id text NOT NULL,
     published_version integer,
     UNIQUE (record_id, key));
   CREATE INDEX up_unit_events_unpublished ON up_unit_events (id) WHERE published_version IS NULL;
   CREATE TABLE up_revoke_nonces (
     nonce text PRIMARY KEY, store_id text NOT NULL, terminal_id text NOT NULL, at text NOT NULL);
   CREATE TABLE enrol_codes (
     id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, code text NOT NULL UNIQUE,
     store_id text NOT NULL, terminal_id text NOT NULL, scope text NOT NULL,
     created_at text NOT NULL, expires_at text NOT NULL, used_at text,
     failures integer NOT NULL DEFAULT 0);
   CREATE TABLE enrolled_terminals (
     store_id text NOT NULL, terminal_id text NOT NULL, role text NOT NULL, public_key text NOT NULL,
     key_id text NOT NULL, enrolled_at text NOT NULL,
     PRIMARY KEY (store_id, terminal_id));`,
  // The enforcement feed (upstream/enforcement/, as the SQLite engine's enforcement/schema.ts):
  // one row per counterfeit signal with its evidence as JSON text (kept byte for byte), unique per
  // terminal, kind, seq and code; and each unit's latest write-off, what a new one is checked against.
  `CREATE TABLE enf_alerts (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, detected_at text NOT NULL, at text NOT NULL,
     kind text NOT NULL, source text NOT NULL, store_id text NOT NULL, terminal_id text NOT NULL,
     seq bigint NOT NULL DEFAULT 0, other_store_id text, other_terminal_id text,
     code text NOT NULL DEFAULT '', product text NOT NULL DEFAULT '', message text NOT NULL,
     evidence text NOT NULL,
     UNIQUE (store_id, terminal_id, kind, seq, code));
   CREATE INDEX enf_alerts_detected ON enf_alerts (detected_at);
   CREATE INDEX enf_alerts_store ON enf_alerts (store_id, detected_at);
   CREATE INDEX enf_alerts_other_store ON enf_alerts (other_store_id, detected_at)
     WHERE other_store_id IS NOT NULL;
   CREATE INDEX enf_alerts_product ON enf_alerts (product, detected_at);
   CREATE INDEX enf_alerts_code ON enf_alerts (code);
   CREATE TABLE enf_unit_sales (
     key text PRIMARY KEY, store_id text NOT NULL, terminal_id text NOT NULL, seq bigint NOT NULL,
     record_id text NOT NULL, at text NOT NULL, returned integer NOT NULL DEFAULT 0);`,
  // Delivery notes (pg-deliveries.ts, as the SQLite engine's delivery-log.ts and
  // sqlite/sqlite-transfers.ts): notes sent and their first outcome, receipts and diversion alerts
  // kept once per record id, transfer notes owed to receiving stores. Times as ISO text, as sent.
  `CREATE TABLE up_delivery_notes (
     id text PRIMARY KEY, delivery_id text NOT NULL, store_id text NOT NULL, terminal_id text NOT NULL,
     units integer NOT NULL, sent_at text NOT NULL, expires_at text NOT NULL,
     status text NOT NULL DEFAULT 'sent', code text, message text, outcome_at text);
   CREATE INDEX up_delivery_notes_store ON up_delivery_notes (store_id, sent_at);
   CREATE TABLE up_delivery_receipts (
     record_id text PRIMARY KEY, store_id text NOT NULL, terminal_id text NOT NULL, seq bigint NOT NULL,
     delivery_id text NOT NULL, outcome text NOT NULL, expected_units integer NOT NULL,
     accepted_units integer NOT NULL, exceptions integer NOT NULL, at text NOT NULL);
   CREATE INDEX up_delivery_receipts_delivery ON up_delivery_receipts (store_id, delivery_id);
   CREATE TABLE up_diversion_alerts (
     record_id text PRIMARY KEY, store_id text NOT NULL, terminal_id text NOT NULL, seq bigint NOT NULL,
     code_key text, reason text, at text NOT NULL);
   CREATE TABLE up_transfer_notes (
     record_id text PRIMARY KEY, delivery_id text NOT NULL, from_store text NOT NULL,
     from_terminal text NOT NULL, to_store text NOT NULL, units integer NOT NULL, body text NOT NULL,
     state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'refused')),
     terminal_id text, attempts integer NOT NULL DEFAULT 0, last_sent_at text,
     code text, message text, created_at text NOT NULL);
   CREATE INDEX up_transfer_notes_pending ON up_transfer_notes (to_store) WHERE state = 'pending';
   CREATE INDEX up_transfer_notes_delivery ON up_transfer_notes (to_store, delivery_id);`,
  // The registry releases (pg-releases.ts), so any worker announces and serves them without a shared
  // filesystem: one row per release with its description as announced (JSON text, written once by
  // the worker that added it), its bodies as chunks of that description's size (bytea rows: a
  // chunk request reads one by primary key), and each scope's head version, the row a delta's
  // append compares and sets (two publishers racing: the second finds the head moved).
  // Bodies are deflated already: EXTERNAL keeps PostgreSQL from compressing them again.
  `CREATE TABLE up_releases (
     scope text NOT NULL, id text NOT NULL, kind text NOT NULL CHECK (kind IN ('snapshot', 'delta')),
     from_version bigint, version bigint NOT NULL, files text NOT NULL,
     added_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (scope, id));
   CREATE INDEX up_releases_deltas ON up_releases (scope, from_version DESC) WHERE kind = 'delta';
   CREATE INDEX up_releases_snapshots ON up_releases (scope, version DESC) WHERE kind = 'snapshot';
   CREATE TABLE up_release_heads (scope text PRIMARY KEY, version bigint NOT NULL);
   CREATE TABLE up_release_chunks (
     scope text NOT NULL, release_id text NOT NULL, file text NOT NULL, n integer NOT NULL,
     bytes bytea NOT NULL,
     PRIMARY KEY (scope, release_id, file, n),
     FOREIGN KEY (scope, release_id) REFERENCES up_releases (scope, id));
   ALTER TABLE up_release_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;`,
];

/** Advisory lock key (pg_advisory_xact_lock) serialising schema upgrades of workers starting together. */
const MIGRATION_LOCK = 0x76745f6d; // 'vt_m'

/**
 * Brings the schema up to date: each missing step in its own transaction with its version row,
 * under a transaction advisory lock so two workers starting at once do not both apply a step.
 * Refuses a database whose schema is newer than this build knows (a rolled-back deploy).
 */
export async function migratePostgres(
  pool: pg.Pool,
  steps: readonly string[] = PG_MIGRATIONS,
): Promise<number> {
  const client = await pool.connect();
  try {
    for (;;) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        // Under the lock too: two workers starting on an empty database both creating it collide
        // (IF NOT EXISTS does not make concurrent CREATE TABLE safe: pg_type's unique index).
        await client.query(
          `CREATE TABLE IF NOT EXISTS veriterm_schema_migrations (
             version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const { rows } = await client.query<{ v: number | null }>(
          'SELECT max(version) AS v FROM veriterm_schema_migrations',
        );
        const current = Number(rows[0]?.v ?? 0);
        if (current > steps.length)
          throw new Error(
            `the upstream database is at schema version ${current}, newer than this build's ${steps.length}: run the newer veriterm`,
          );
        if (current === steps.length) {
          await client.query('COMMIT');
          return current;
        }
        await client.query(steps[current]!);
        await client.query('INSERT INTO veriterm_schema_migrations (version) VALUES ($1)', [current + 1]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
  } finally {
    client.release();
  }
}
