import { verify } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../terminal/db/atomic-write.js';
import { openDatabase } from '../terminal/db/open-database.js';
import { VeritermError } from '../terminal/errors.js';
import type { Logger } from '../terminal/logger.js';
import { parseEd25519PublicKey } from '../terminal/sync/command-signing.js';
import { decodeJson } from '../terminal/sync/protocol.js';
import { terminalUsername, withRevokedBlock } from './broker-acl.js';
import {
  REVOKE_MAX_SKEW_MS,
  type RevokeErrorCode,
  type RevokeResponse,
  revocationMessage,
  revocationTopics,
  revokeRequestSchema,
} from './revocation-protocol.js';
import type { IngestStorage, UpstreamStorage } from './storage/contract.js';
import { SqliteUpstreamStorage } from './storage/sqlite/sqlite-storage.js';

type Target = { storeId: string; terminalId: string };

/** What the broker is told after a revocation: it gets the full list each time (idempotent). */
export interface BrokerRevocation {
  apply(revoked: Target[]): Promise<void>;
}

/**
 * `enrolment.json` → `revocation`: the mosquitto files upstream may rewrite. The ACL file gets a
 * block denying every topic to each revoked terminal's username (certificate CN or password
 * login; this works for certificates, which mosquitto cannot otherwise refuse without a CRL and a
 * restart); with the password issuer the terminal's password line is removed as well. mosquitto
 * re-reads both on SIGHUP and re-applies them to connected clients too (mosquitto 2.0
 * security_default.c: connections whose password no longer checks are dropped, ACLs re-found).
 */
export const revocationSettingsSchema = z.object({
  aclFile: z.string().min(1),
  pidFile: z.string().min(1),
});

export function mosquittoRevocation(options: {
  aclFile: string;
  pidFile: string;
  passwordFile?: string;
}): BrokerRevocation {
  return {
    async apply(revoked) {
      if (!existsSync(options.aclFile))
        throw new Error(
          `broker ACL file ${options.aclFile} does not exist (enrolment.json revocation.aclFile)`,
        );
      replaceFile(options.aclFile, withRevokedBlock(readFileSync(options.aclFile, 'utf8'), revoked));
      if (options.passwordFile && existsSync(options.passwordFile)) {
        const names = new Set(revoked.map((t) => `${terminalUsername(t.storeId, t.terminalId)}:`));
        const lines = readFileSync(options.passwordFile, 'utf8').split('\n').filter(Boolean);
        const kept = lines.filter((l) => ![...names].some((n) => l.startsWith(n)));
        if (kept.length !== lines.length) replaceFile(options.passwordFile, `${kept.join('\n')}\n`);
      }
      const pid = existsSync(options.pidFile)
        ? Number(readFileSync(options.pidFile, 'utf8').trim())
        : Number.NaN;
      if (!Number.isInteger(pid) || pid <= 1)
        throw new Error(`${options.pidFile} does not hold mosquitto's process id (is mosquitto running?)`);
      process.kill(pid, 'SIGHUP');
    },
  };
}

/** Write-then-rename in the same folder, keeping the file's mode: mosquitto never reads half a file. */
function replaceFile(file: string, text: string): void {
  writeFileAtomic(file, text, statSync(file).mode & 0o777);
}

/** Marks the terminal revoked in upstream's store (its records are refused from now on); returns the time. */
export async function revokeInStore(store: IngestStorage, target: Target, logger: Logger): Promise<string> {
  if (!(await store.revoke(target.storeId, target.terminalId))) {
    throw new VeritermError(
      'not_enrolled',
      `store ${target.storeId} terminal ${target.terminalId} is not enrolled on this upstream: check the ids (nothing was changed)`,
    );
  }
  const revokedAt = (await store.enrolment(target.storeId, target.terminalId))?.revokedAt ?? '';
  logger.warn({ ...target, revokedAt }, 'terminal revoked');
  return revokedAt;
}

/** Revokes one terminal: upstream refuses its records from now on, then the broker is told. */
export async function revokeTerminal(
  deps: { store: IngestStorage; broker?: BrokerRevocation | undefined; logger: Logger },
  target: Target,
): Promise<{ revokedAt: string; broker: 'applied' | 'not configured' }> {
  const revokedAt = await revokeInStore(deps.store, target, deps.logger);
  if (!deps.broker) return { revokedAt, broker: 'not configured' };
  try {
    await deps.broker.apply(await deps.store.revokedTerminals());
  } catch (error) {
    throw new VeritermError(
      'broker_not_told',
      `revoked upstream at ${revokedAt} (its records are refused), but the broker was not told: ${(error as Error).message}; fix that and run the command again`,
      { cause: error },
    );
  }
  return { revokedAt, broker: 'applied' };
}

/**
 * Answers a terminal's signed revocation request (revocation-protocol.ts). The signature is
 * checked with the key the terminal enrolled; the time must be within REVOKE_MAX_SKEW_MS and the
 * nonce unseen (nonces are kept in upstream's database, so a replay fails across restarts too).
 */
export async function answerRevocation(
  deps: {
    store: IngestStorage;
    /** Upstream's side only: the broker is told after the answer went out (it could not reach the terminal after). */
    revoke: (target: Target) => Promise<string>;
    now?: () => Date;
  },
  topicTarget: Target,
  raw: unknown,
): Promise<RevokeResponse> {
  const parsed = revokeRequestSchema.safeParse(raw);
  const nonce = parsed.success ? parsed.data.nonce : '';
  const refuse = (code: RevokeErrorCode, message: string): RevokeResponse => ({
    v: 1,
    nonce,
    status: 'refused',
    code,
    message,
  });
  if (!parsed.success)
    return refuse('bad_request', `malformed revocation request: ${parsed.error.issues[0]?.message}`);
  const request = parsed.data;
  if (request.storeId !== topicTarget.storeId || request.terminalId !== topicTarget.terminalId)
    return refuse('bad_request', 'the request names another terminal than its topic');
  const enrolled = await deps.store.enrolment(request.storeId, request.terminalId);
  if (!enrolled)
    return refuse('not_enrolled', `store ${request.storeId} terminal ${request.terminalId} is not enrolled`);
  const signatureOk = (() => {
    try {
      return verify(
        null,
        revocationMessage(request),
        parseEd25519PublicKey(enrolled.publicKey),
        Buffer.from(request.signature, 'base64'),
      );
    } catch {
      return false;
    }
  })();
  if (!signatureOk)
    return refuse('bad_signature', 'the signature does not verify with the enrolled terminal key');
  const now = deps.now?.() ?? new Date();
  if (Math.abs(now.getTime() - Date.parse(request.at)) > REVOKE_MAX_SKEW_MS)
    return refuse(
      'stale_request',
      `request time ${request.at} is more than ${REVOKE_MAX_SKEW_MS / 60_000} min from upstream's ${now.toISOString()}: check the terminal clock`,
    );
  const fresh = await deps.store.rememberRevocationNonce(
    request.nonce,
    request.storeId,
    request.terminalId,
    now,
  );
  if (!fresh) return refuse('replayed', 'this request was already seen (same nonce)');
  try {
    const revokedAt = await deps.revoke(request);
    return { v: 1, nonce, status: 'revoked', revokedAt };
  } catch (error) {
    return refuse('revoke_failed', (error as Error).message);
  }
}

/**
 * One message on `vt/{store}/{terminal}/revoke/req` (the reference upstream's handler): answers on
 * the terminal's own response topic, then tells the broker. In that order: once the broker denies
 * the terminal, the answer could not reach it; mosquitto routes a PUBLISH before it acks it, so
 * once `publish` resolves the answer is on its way.
 */
export async function handleRevocationRequest(
  deps: {
    store: IngestStorage;
    logger: Logger;
    broker?: BrokerRevocation | undefined;
    publish: (topic: string, payload: string) => Promise<void>;
  },
  target: Target,
  payload: Buffer,
): Promise<void> {
  let body: unknown;
  try {
    body = decodeJson(payload, 16 * 1024);
  } catch {
    body = undefined;
  }
  const answer = await answerRevocation(
    { store: deps.store, revoke: (t) => revokeInStore(deps.store, t, deps.logger) },
    target,
    body,
  );
  deps.logger.info({ ...target, status: answer.status }, 'revocation request answered');
  await deps.publish(revocationTopics(target.storeId, target.terminalId).response, JSON.stringify(answer));
  if (answer.status === 'revoked' && deps.broker)
    await deps.broker.apply(await deps.store.revokedTerminals());
}

/** The broker side of revocation configured in `{data}/enrolment.json`, or undefined when none is. */
export function brokerRevocationFor(dataDir: string): BrokerRevocation | undefined {
  const file = join(dataDir, 'enrolment.json');
  if (!existsSync(file)) return undefined;
  const settings = JSON.parse(readFileSync(file, 'utf8')) as {
    revocation?: unknown;
    issuer?: { type?: string; passwordFile?: string };
  };
  if (settings.revocation === undefined) return undefined;
  const revocation = revocationSettingsSchema.parse(settings.revocation);
  return mosquittoRevocation({
    ...revocation,
    ...(settings.issuer?.type === 'mosquitto-password' && settings.issuer.passwordFile
      ? { passwordFile: settings.issuer.passwordFile }
      : {}),
  });
}

/**
 * `veriterm upstream revoke`: works on the data directory alone (the running upstream reads the
 * same database), or on `storage` (the PostgreSQL engine: `--db postgres://…`).
 */
export async function revokeInDataDir(input: {
  dataDir: string;
  storeId: string;
  terminalId: string;
  logger: Logger;
  storage?: UpstreamStorage;
}): Promise<{ revokedAt: string; broker: 'applied' | 'not configured' }> {
  const storage =
    input.storage ??
    new SqliteUpstreamStorage(openDatabase(join(input.dataDir, 'upstream.db')), { closeDb: true });
  try {
    return await revokeTerminal(
      { store: storage.ingest, broker: brokerRevocationFor(input.dataDir), logger: input.logger },
      input,
    );
  } finally {
    if (!input.storage) await storage.close();
  }
}
