import { readFileSync } from 'node:fs';
import { openDatabase } from '../terminal/db/open-database.js';
import { silentLogger } from '../terminal/logger.js';
import { parseRoot } from '../terminal/registry/index.js';
import { newEnrolmentCode, rootFingerprint } from './enrolment-protocol.js';
import { EnrolmentStore } from './enrolment-store.js';
import { PostgresUpstreamStorage } from './storage/postgres/pg-storage.js';

export interface IssuedEnrolment {
  code: string;
  expiresAt: string;
  fingerprint: string;
}

/** Issues a one-time code for a terminal and returns it with the fingerprint of the root it will pin. */
export function issueEnrolment(input: {
  dbFile: string;
  rootFile: string;
  storeId: string;
  terminalId: string;
  scope: string;
  ttlMs?: number;
}): IssuedEnrolment {
  const root = parseRoot(readFileSync(input.rootFile, 'utf8'));
  const db = openDatabase(input.dbFile);
  try {
    const row = new EnrolmentStore(db).issue({
      code: newEnrolmentCode(),
      storeId: input.storeId,
      terminalId: input.terminalId,
      scope: input.scope,
      ttlMs: input.ttlMs ?? 30 * 60_000,
    });
    return { code: row.code, expiresAt: row.expiresAt, fingerprint: rootFingerprint(root) };
  } finally {
    db.close();
  }
}

/**
 * The same for an upstream on PostgreSQL (`veriterm upstream --db`): the code goes into the shared
 * database, where every worker's enrolment service looks it up (storage contract `issue`).
 */
export async function issueEnrolmentInPostgres(input: {
  database: string;
  rootFile: string;
  storeId: string;
  terminalId: string;
  /**
   * The registry scope the terminal follows; a function picks it from the scopes with releases in
   * the database (the workers' releases live there, not in a local `registry/` directory).
   */
  scope: string | ((scopes: string[]) => string);
  ttlMs?: number;
}): Promise<IssuedEnrolment> {
  const root = parseRoot(readFileSync(input.rootFile, 'utf8'));
  const storage = await PostgresUpstreamStorage.open({
    url: input.database,
    logger: silentLogger(),
    poolSize: 1,
  });
  try {
    const scope =
      typeof input.scope === 'string' ? input.scope : input.scope(await storage.releases.scopes());
    const row = await storage.enrolment.issue({
      code: newEnrolmentCode(),
      storeId: input.storeId,
      terminalId: input.terminalId,
      scope,
      ttlMs: input.ttlMs ?? 30 * 60_000,
    });
    return { code: row.code, expiresAt: row.expiresAt, fingerprint: rootFingerprint(root) };
  } finally {
    await storage.close();
  }
}
