import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import type { HealthItem } from '../../../terminal/health/types.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import { createLogger, type Logger } from '../../../terminal/logger.js';
import { receiveDeliveryNotes } from '../../../terminal/receiving/note-downlink.js';
import { ReceivingStore } from '../../../terminal/receiving/receiving-store.js';
import { createSync, type Sync, type SyncDeps } from '../../../terminal/sync/create-sync.js';
import type { SyncOptionsInput } from '../../../terminal/sync/options.js';
import type { RegistryApplier } from '../../../terminal/sync/registry-transfer.js';
import { createUpstream, type SqliteUpstream } from '../../../upstream/create-upstream.js';
import type { DeltaBuilder } from '../../../upstream/delta-builder.js';
import type { UpstreamOptionsInput } from '../../../upstream/options.js';

/** A logger that keeps its lines in memory, so tests can assert "refused with a log line". */
export function memoryLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return {
    logger: createLogger({ level: process.env.SYNC_TEST_LOG ?? 'info', destination }),
    lines: () => lines,
  };
}

/** Resolves when `check()` is truthy (polled), rejects with `what` after `timeoutMs`. */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface TerminalHandle {
  sync: Sync;
  ledger: Ledger;
  db: SqliteDatabase;
  health: Map<string, HealthItem>;
  logLines: () => Record<string, unknown>[];
  dir: string;
}

export function startTerminal(
  dir: string,
  options: SyncOptionsInput,
  extra: {
    keys?: { privateKey: KeyObject; publicKey: KeyObject };
    registry?: RegistryApplier;
    onHealth?: (component: string, item: HealthItem) => void;
    deps?: Pick<SyncDeps, 'onReloadConfig' | 'collectLogs' | 'healthReport'>;
    /** Delivery notes on the downlink go into this terminal.db (terminal/receiving), as in the terminal. */
    receiving?: boolean;
  } = {},
): TerminalHandle {
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(dir, 'terminal.db'));
  const identity = identityFromPrivateKey((extra.keys ?? terminalKeys()).privateKey);
  const ledger = new Ledger({ db, identity, storeId: options.storeId, terminalId: options.terminalId });
  const health = new Map<string, HealthItem>();
  const { logger, lines } = memoryLogger();
  const sync = createSync(
    {
      outbox: ledger,
      db,
      logger,
      stagingDir: join(dir, 'staging'),
      health: {
        report: (c, item) => {
          health.set(c, item);
          extra.onHealth?.(c, item);
        },
      },
      ...(extra.registry ? { registry: extra.registry } : {}),
      ...(extra.receiving ? { deliveries: receiveDeliveryNotes(new ReceivingStore(db)) } : {}),
      ...extra.deps,
    },
    options,
  );
  return { sync, ledger, db, health, logLines: lines, dir };
}

/**
 * Appends `n` records in one transaction (a backlog built while offline): receipt_printed records
 * with `payload(i)`'s fields beside the sale id their decoder requires, so upstream stores them
 * without an undecodable_record alert.
 */
export function appendMany(
  ledger: Ledger,
  n: number,
  payload: (i: number) => Record<string, unknown> = (i) => ({ n: i }),
): void {
  ledger.transaction(() => {
    for (let i = 0; i < n; i++) ledger.append('receipt_printed', { saleId: `sale-${i}`, ...payload(i) });
  });
}

export function terminalKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export function publicKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

export function startUpstreamFor(
  dir: string,
  options: UpstreamOptionsInput,
  extra: { commandKey?: KeyObject; deltaBuilder?: DeltaBuilder } = {},
): { upstream: SqliteUpstream; db: SqliteDatabase; logLines: () => Record<string, unknown>[] } {
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(join(dir, 'upstream.db'));
  const { logger, lines } = memoryLogger();
  const upstream = createUpstream(
    {
      db,
      logger,
      releasesDir: join(dir, 'registry'),
      ...(extra.commandKey ? { commandKey: extra.commandKey } : {}),
      ...(extra.deltaBuilder ? { deltaBuilder: extra.deltaBuilder } : {}),
    },
    options,
  );
  return { upstream, db, logLines: lines };
}
