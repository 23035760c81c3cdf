import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The machine's PostgreSQL server for tests (issue 20): 127.0.0.1:5432, user postgres, trust
 * auth; VERITERM_TEST_PG overrides the admin URL. Each test file makes its own database with a
 * random name and drops it (`createTestDatabase`).
 */
export const PG_ADMIN_URL = process.env.VERITERM_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let available: Promise<boolean> | undefined;

/**
 * Whether the server answers. When it does not, this says so loudly; under CI=true it throws, so a
 * missing server fails the run instead of hiding a gap (as hasSystemTool does for tools). Use with
 * top-level await: `describe.skipIf(!(await hasPostgres()))(…)`.
 */
export function hasPostgres(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch (error) {
      const message = `MISSING POSTGRESQL: ${PG_ADMIN_URL} does not answer (${(error as Error).message}); its tests are SKIPPED. Start it (pg_ctlcluster 15 main start) or run .ci/run.`;
      if (process.env.CI === 'true') throw new Error(`${message} Under CI=true this is a failure.`);
      console.warn(`\n!!! ${message}\n`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

export interface TestDatabase {
  /** Connection URL of the fresh database. */
  url: string;
  name: string;
  /** Drops the database (ending any connection still on it). */
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database with a random name (`{prefix}_{hex}`), for one test file or one test. */
export async function createTestDatabase(prefix = 'vt_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`.toLowerCase();
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a safe database name: ${name}`);
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      admin(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}
