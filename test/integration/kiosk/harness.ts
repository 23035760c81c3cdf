/**
 * Builds the kiosk HTTP server around a SQLite file in a temp dir, with the fake registry and an
 * in-test RecordAppender (or a real one), for API tests via `app.inject` or a real listener.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { validateConfig } from '../../../terminal/config/load-config.js';
import type { ConfigInput } from '../../../terminal/config/schema.js';
import { openDatabase, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import { HealthModel } from '../../../terminal/health/health-model.js';
import { AuthService } from '../../../terminal/http/auth/auth-service.js';
import { createHttpServer, type HttpPlugin } from '../../../terminal/http/server.js';
import { WsHub } from '../../../terminal/http/ws-hub.js';
import { KioskReports } from '../../../terminal/lanes/kiosk-reports.js';
import type { LedgerRecord, RecordAppender, RecordType } from '../../../terminal/ledger/types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { QueryLog } from '../../../terminal/verify/query-log.js';
import { Verifier } from '../../../terminal/verify/verifier.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { FakeLedgerView, FakeRegistry, parse, productKeyOf } from './fixtures.js';

/** Keeps appended records in memory (the RecordAppender contract, no chain). */
export class MemoryAppender implements RecordAppender {
  readonly records: LedgerRecord[] = [];
  append<P extends Record<string, unknown>>(type: RecordType, payload: P): LedgerRecord<P> {
    const record: LedgerRecord<P> = {
      id: `R${this.records.length + 1}`,
      seq: this.records.length + 1,
      type,
      at: new Date().toISOString(),
      storeId: 'S-TEST',
      terminalId: 'T-TEST',
      payload,
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
      signature: '',
    };
    this.records.push(record);
    return record;
  }
}

export interface TestTerminal {
  app: FastifyInstance;
  db: SqliteDatabase;
  hub: WsHub;
  health: HealthModel;
  alerts: MemoryAppender;
  registry: FakeRegistry;
  queryLog: QueryLog;
  verifier: Verifier;
  close(): Promise<void>;
}

export async function createTestTerminal(
  options: { config?: ConfigInput; alerts?: boolean; plugins?: HttpPlugin[] } = {},
): Promise<TestTerminal> {
  const tmp = makeTempDir('veriterm-kiosk-');
  const parsed = validateConfig({ dataDir: tmp.dir, kiosk: { demo: true }, ...options.config });
  if (!parsed.ok) throw new Error(`bad test config: ${JSON.stringify(parsed.issues)}`);
  const config = parsed.config;
  const db = openDatabase(join(tmp.dir, 'terminal.db'), { synchronous: 'NORMAL' });
  const queryLog = new QueryLog(db);
  const registry = new FakeRegistry();
  const verifier = new Verifier({
    parse,
    productKeyOf,
    registry,
    ledger: new FakeLedgerView(),
    queryLog,
    config: { ...config.verify, timeZone: 'UTC' },
  });
  const alerts = new MemoryAppender();
  const hub = new WsHub();
  const health = new HealthModel();
  const app = await createHttpServer({
    config,
    logger: silentLogger(),
    verifier,
    reports: new KioskReports({
      queryLog,
      alerts: options.alerts === false ? undefined : alerts,
      storeId: 'S-TEST',
    }),
    health,
    auth: new AuthService(config.auth),
    hub,
    demoSamples: [],
    plugins: options.plugins,
  });
  return {
    app,
    db,
    hub,
    health,
    alerts,
    registry,
    queryLog,
    verifier,
    async close() {
      await app.close();
      db.close();
      tmp.cleanup();
    },
  };
}
