import { readFileSync } from 'node:fs';
import { openDatabase } from '../terminal/db/open-database.js';
import { parseRoot } from '../terminal/registry/index.js';
import { newEnrolmentCode, rootFingerprint } from './enrolment-protocol.js';
import { EnrolmentStore } from './enrolment-store.js';

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
