import pg from 'pg';
import type { Logger } from '../../../terminal/logger.js';
import type { PublisherLease } from '../contract.js';

/** Session advisory lock key of the registry-delta publisher ('vt_p'). */
export const PUBLISHER_LOCK = 0x76745f70;

/**
 * The publisher lease as a session advisory lock (pg_try_advisory_lock) on a connection of its
 * own: the server releases it the moment that connection ends, so when a worker dies (even by
 * SIGKILL: the kernel closes its socket) the next `tryAcquire` of another worker wins. A lost
 * connection makes `held()` false at once; the lease is tried again on a fresh connection.
 */
export function advisoryLease(url: string, logger: Logger, types: pg.CustomTypesConfig): PublisherLease {
  let client: pg.Client | undefined;
  let held = false;
  let trying: Promise<boolean> | undefined;
  const drop = (why: unknown) => {
    if (held) logger.warn({ err: why }, 'publisher lease lost with its database connection');
    held = false;
    const old = client;
    client = undefined;
    old?.end().catch(() => undefined);
  };
  const attempt = async (): Promise<boolean> => {
    if (held) return true;
    if (!client) {
      // TCP keepalive: a holder cut off from the server notices (and the server frees the lock).
      const fresh = new pg.Client({
        connectionString: url,
        types,
        application_name: 'veriterm-publisher',
        keepAlive: true,
        keepAliveInitialDelayMillis: 5000,
      });
      fresh.on('error', drop);
      fresh.on('end', () => {
        if (client === fresh) drop(new Error('connection ended'));
      });
      await fresh.connect();
      client = fresh;
    }
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
      PUBLISHER_LOCK,
    ]);
    held = rows[0]?.ok === true;
    if (held) logger.info('publisher lease taken: this worker publishes registry deltas');
    return held;
  };
  return {
    async tryAcquire() {
      trying ??= attempt()
        .catch((error: unknown) => {
          drop(error);
          return false;
        })
        .finally(() => {
          trying = undefined;
        });
      return trying;
    },
    held: () => held,
    async confirm() {
      if (!held || !client) return false;
      try {
        const { rows } = await client.query<{ ok: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
             AND pid = pg_backend_pid() AND objid = $1) AS ok`,
          [PUBLISHER_LOCK],
        );
        if (rows[0]?.ok !== true) drop(new Error('advisory lock no longer held'));
      } catch (error) {
        drop(error);
      }
      return held;
    },
    async release() {
      const old = client;
      held = false;
      client = undefined;
      // Ending the session releases the lock (and any other advisory lock of it).
      await old?.end().catch(() => undefined);
    },
  };
}
