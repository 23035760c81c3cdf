import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createPrinter } from '../drivers/printer/factory.js';
import type { ReceiptPrinter } from '../drivers/printer/types.js';
import { createScannerSource } from '../drivers/scanner/create-scanner-source.js';
import type { ScannerSource } from '../drivers/scanner/types.js';
import { parseCode, productKeyOf } from './codes/index.js';
import type { Config } from './config/schema.js';
import { openDatabase } from './db/open-database.js';
import { VeritermError } from './errors.js';
import { reportProcess, reportRegistry, watchPrinter, watchScanner } from './health/feeders.js';
import { HealthModel } from './health/health-model.js';
import { createOperations, upstreamFromHealth } from './health/operations.js';
import { AuthService } from './http/auth/auth-service.js';
import { managerRoutes } from './http/routes/manager.js';
import { operationsRoutes } from './http/routes/metrics.js';
import { receivingRoutes } from './http/routes/receiving.js';
import { checkoutHttpPlugins } from './http/routes/returns.js';
import { stockRoutes } from './http/routes/stock-routes.js';
import { createHttpServer, type HttpPlugin } from './http/server.js';
import type { DemoSample, ReceivingDemoLabel } from './http/wire-types.js';
import { WsHub } from './http/ws-hub.js';
import { loadOrCreateTerminalKey, TERMINAL_KEY_FILE } from './identity/index.js';
import { checkoutServices } from './lanes/checkout-services.js';
import { KioskLane } from './lanes/kiosk.js';
import { KioskReports } from './lanes/kiosk-reports.js';
import { type ReceivingServices, receivingServices } from './lanes/receiving-services.js';
import { anchorLedger, assertLedgerPresent } from './ledger/anchor.js';
import { Ledger } from './ledger/ledger.js';
import { ServiceList } from './lifecycle.js';
import type { Logger } from './logger.js';
import { packageRoot } from './package-root.js';
import { PrintQueue } from './printing/print-queue.js';
import { getProfile } from './receipts/profiles.js';
import { ReceivingOverview } from './receiving/receiving-overview.js';
import { ReceivedUnits } from './receiving/unit-receipt.js';
import type { RegistryReader } from './registry/types.js';
import { MovedOutUnits } from './stock/moved-out.js';
import { stockServices } from './stock/stock-services.js';
import type { Sync } from './sync/create-sync.js';
import { createTerminalSync } from './sync/for-terminal.js';
import { syncOptionsFromConfig } from './sync/options-from-config.js';
import type { SignedCommand } from './sync/protocol.js';
import { createSystemdNotifier } from './systemd/notify.js';
import { QueryLog } from './verify/query-log.js';
import { QueryLogMaintenance } from './verify/query-log-maintenance.js';
import { Verifier } from './verify/verifier.js';

/** Parts a caller (demo, tests, bench) may supply instead of the ones built from config. */
export interface TerminalParts {
  /** @default RegistryStore on `<dataDir>/registry.db` */
  registry?: RegistryReader & { close?: () => void };
  /** Kiosk-lane scanners; @default built from `config.scanners` with lane `kiosk` */
  kioskScanners?: ScannerSource[];
  /** Receipt printers; @default built from `config.printers` (createPrinter). Health watches each. */
  printers?: ReceiptPrinter[];
  /** Routes of the checkout/manager areas. They get the same auth, errors and hub. */
  plugins?: HttpPlugin[] | ((terminal: TerminalCore) => HttpPlugin[]);
  /**
   * Long-running parts of other areas (the upstream link, a broker for the demo): started after the
   * HTTP server listens, stopped (in reverse order) before the databases close.
   */
  services?: (terminal: TerminalCore) => TerminalService[];
  demoSamples?: DemoSample[];
  /** The demo delivery's labels for the receiving page (filled by the demo once it imported the note). */
  receivingDemoLabels?: ReceivingDemoLabel[];
  /** Built kiosk-ui directory. @default kiosk-ui/dist */
  staticDir?: string;
}

/** Something with a lifecycle that the terminal starts and stops with itself. */
export interface TerminalService {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What the composition root built, for other areas' plugins (checkout, manager, sync) to use. */
export interface TerminalCore {
  config: Config;
  logger: Logger;
  ledger: Ledger;
  registry: RegistryReader;
  verifier: Verifier;
  queryLog: QueryLog;
  health: HealthModel;
  hub: WsHub;
  auth: AuthService;
  /** Receipt printers (config or parts); the checkout's print queue owns writes to them. */
  printers: ReceiptPrinter[];
  kioskScanners: ScannerSource[];
  /** Delivery notes, check-in and the receiving desk, on the ledger's database connection. */
  receiving: ReceivingServices;
  /** The receipt printer's (the first printer's) durable queue; it owns that printer. */
  printQueue?: PrintQueue;
  /** Receiving's lookup for verdicts: only when `receiving.mode` is `warn` or `enforce`. */
  receivedUnits?: ReceivedUnits;
}

export interface RunningTerminal extends TerminalCore {
  app: FastifyInstance;
  /** `http://host:port` actually bound (port 0 → the OS's choice). */
  url: string;
  kioskScanners: ScannerSource[];
  printers: ReceiptPrinter[];
  /**
   * Feeds a sync created outside this root (the demo's embedded upstream link) to health as this
   * root's own sync is: upstream clock readings to the clock tile, refusals to recent errors.
   * Returns the unsubscribe.
   */
  watchSync(sync: Pick<Sync, 'events'>): () => void;
  stop(): Promise<void>;
}

/** The built kiosk pages, from sources and from dist/ alike. */
const DEFAULT_STATIC = join(packageRoot(), 'kiosk-ui', 'dist');

/**
 * The composition root: the only place that picks concrete adapters. Opens the terminal database
 * (ledger in synchronous=FULL; the query log on a second connection in NORMAL, since losing the
 * last few check counts on power loss is harmless and an fsync per scan is not), the registry, the
 * scanners, and starts the HTTP server.
 */
export async function startTerminal(
  config: Config,
  logger: Logger,
  parts: TerminalParts = {},
): Promise<RunningTerminal> {
  const services = new ServiceList(logger.child({ module: 'lifecycle' }));
  try {
    return await composeTerminal(config, logger, parts, services);
  } catch (error) {
    // Whatever had opened or started (databases, the HTTP server) stops, in reverse.
    await services.stop();
    throw error;
  }
}

/** startTerminal's body: each part it opens or starts goes on `services`, which stops them all. */
async function composeTerminal(
  config: Config,
  logger: Logger,
  parts: TerminalParts,
  services: ServiceList,
): Promise<RunningTerminal> {
  mkdirSync(config.dataDir, { recursive: true });
  const dbFile = join(config.dataDir, 'terminal.db');
  // A terminal that has had a ledger refuses to start without it (ledger/anchor.ts).
  assertLedgerPresent(config.dataDir);
  const ledgerDb = openDatabase(dbFile);
  services.add('ledger database', undefined, () => ledgerDb.close());
  const queryDb = openDatabase(dbFile, { synchronous: 'NORMAL' });
  services.add('query log database', undefined, () => queryDb.close());
  const identity = loadOrCreateTerminalKey(join(config.dataDir, TERMINAL_KEY_FILE));
  const { storeId, terminalId } = config.terminal;
  const ledger = new Ledger({ db: ledgerDb, identity, storeId, terminalId });
  // Stops the ledger's writer thread (its own connection) before the shared connection closes.
  services.add('ledger writer', undefined, () => ledger.close());
  anchorLedger(ledgerDb, config.dataDir, { storeId, terminalId, keyId: identity.keyId });
  const registry = parts.registry ?? (await openRegistry(config));
  // A registry given as a part is its owner's to close.
  if (!parts.registry) services.add('registry', undefined, () => registry.close?.());
  // A full disk latches the storage health item (operations, below); the query log and its WAL are
  // pruned and truncated off the scan path (docs/security.md, "Storage").
  const onDiskFull = (fault: VeritermError) => operations.storage.diskFull(fault);
  const queryLog = new QueryLog(queryDb, {
    file: dbFile,
    onDiskFull,
    onRecorded: { everyChecks: 256, run: () => maintenance.nudge() },
  });
  const maintenance = new QueryLogMaintenance({
    db: queryDb,
    bounds: config.storage,
    logger: logger.child({ module: 'query-log' }),
    onDiskFull,
  });
  // Receiving feeds verdicts only when its mode is on; `off` means no lookup at all (docs/receiving.md).
  const receivedUnits = config.receiving.mode === 'off' ? undefined : new ReceivedUnits(ledgerDb);
  const verifier = new Verifier({
    parse: parseCode,
    productKeyOf,
    registry,
    ledger,
    queryLog,
    ...(receivedUnits ? { receiving: receivedUnits } : {}),
    // Units this store destroyed, shipped out or lost are refused at once (docs/stock.md).
    stock: new MovedOutUnits(ledgerDb),
    config: { ...config.verify, timeZone: config.terminal.timeZone },
  });
  const health = new HealthModel();
  const hub = new WsHub({
    maxClients: config.http.limits.maxWsClients,
    maxClientsPerSource: config.http.limits.maxWsClientsPerSource,
  });
  const auth = new AuthService(config.auth);
  const kioskScanners =
    parts.kioskScanners ??
    config.scanners
      .filter((s) => s.lane === 'kiosk')
      .map(({ lane: _lane, ...options }) => createScannerSource(options));
  const printers = parts.printers ?? config.printers.map((options) => createPrinter(options));
  // The first printer is the receipt printer: its print queue owns it (start, stop, every write)
  // and feeds its health item; any other printer is only watched.
  const [receiptPrinter, ...otherPrinters] = printers;
  const printQueue = receiptPrinter
    ? new PrintQueue({
        db: ledgerDb,
        printer: receiptPrinter,
        profile: getProfile(profileOf(config, receiptPrinter.id)),
        logger: logger.child({ module: 'print' }),
        health,
        onDiskFull,
        dbFile,
      })
    : undefined;
  const receiving = receivingServices(
    { ledger, registry, config },
    { publish: (update) => hub.broadcast({ type: 'receiving', data: update }, 'cashier') },
  );
  const core: TerminalCore = {
    config,
    logger,
    ledger,
    registry,
    verifier,
    queryLog,
    health,
    hub,
    auth,
    printers,
    kioskScanners,
    receiving,
    ...(printQueue ? { printQueue } : {}),
    ...(receivedUnits ? { receivedUnits } : {}),
  };
  // Built before listening so a bad sync section (missing credentials file) fails the start cleanly.
  const sync = config.sync ? createTerminalSync(core, syncOptionsFromConfig(config.sync)) : undefined;
  const operations = createOperations({
    db: ledgerDb,
    dbFile,
    dataDir: config.dataDir,
    health,
    storage: config.storage,
  });
  // PIN guessing shows on the manager page (recent errors) and in the log; never the PIN itself.
  auth.throttle.on('locked', ({ scope, user, source, failures }) => {
    logger.warn({ scope, user, source, failures }, 'PIN throttle: too many wrong PINs');
    operations.errors.add(
      'auth',
      `${failures} wrong PINs for ${user} (${scope.replace('_', ' + ')} ${source})`,
    );
  });
  // Upstream's clock (command issuedAt, every live ack's `at`) feeds the clock tile; refused downlink
  // messages go to the recent errors. For this root's sync and for one linked from outside (the demo).
  const watchSync = (linked: Pick<Sync, 'events'>): (() => void) => {
    const onCommand = (command: SignedCommand) => operations.clock.observe(command.issuedAt);
    const onTime = (at: string) => operations.clock.observe(at);
    const onRefused = (r: { message: string }) => operations.errors.add('upstream', r.message);
    linked.events.on('command', onCommand);
    linked.events.on('upstreamTime', onTime);
    linked.events.on('refused', onRefused);
    return () => {
      linked.events.off('command', onCommand);
      linked.events.off('upstreamTime', onTime);
      linked.events.off('refused', onRefused);
    };
  };
  if (sync) watchSync(sync);
  // Last errors a manager should see: receipts given up on (and, above, downlink messages refused).
  printQueue?.on('job', (job) => {
    if (job.state === 'failed')
      operations.errors.add(`printer:${job.printerId}`, job.reason ?? 'print failed');
  });
  const unwatch = [
    ...kioskScanners.map((s) => watchScanner(s, health)),
    ...otherPrinters.map((p) => watchPrinter(p, health)),
    ...kioskScanners.map((s) => operations.countScans(s)),
  ];
  const lane = new KioskLane({
    verifier,
    publish: (m) => hub.broadcast(m, 'kiosk'),
    logger: logger.child({ module: 'kiosk' }),
  });
  for (const s of kioskScanners) lane.attach(s);
  health.on('change', (entry) => hub.broadcast({ type: 'health', data: entry }, 'cashier'));

  const refreshHealth = () => {
    reportRegistry(registry, health, config.verify.maxRegistryAgeMs);
    reportProcess(health);
    operations.refresh();
  };
  refreshHealth();
  // The query log commits once per scan; SQLite's automatic WAL checkpoint (with its fsync) would land
  // on a random scan. QueryLogMaintenance checkpoints (TRUNCATE) between scans instead: on its timer
  // and after every 256 checks, so a burst of scans cannot grow the WAL without bound.
  queryDb.pragma('wal_autocheckpoint = 0');
  services.add(
    'query log maintenance',
    () => maintenance.start(config.storage.maintenanceIntervalMs),
    () => maintenance.stop(),
  );

  // Stock operations on terminal.db's connection; their whole-store reads run on a thread of their own.
  const stock = stockServices(core);
  services.add('stock reads', undefined, () => stock.reads.close());
  const plugins = [
    ...checkoutHttpPlugins(checkoutServices(core, printQueue ? { printQueue } : {})),
    managerRoutes({
      ...core,
      receiving: new ReceivingOverview({ db: ledgerDb, ledger, registry, mode: config.receiving.mode }),
      refreshHealth,
      sync: () => upstreamFromHealth(health),
    }),
    receivingRoutes({ ...receiving, demoLabels: parts.receivingDemoLabels ?? [] }),
    operationsRoutes({ metrics: operations.metrics, health, registry, refreshHealth }),
    stockRoutes(stock, ledger),
    ...(typeof parts.plugins === 'function' ? parts.plugins(core) : (parts.plugins ?? [])),
  ];
  const app = await createHttpServer({
    config,
    logger,
    verifier,
    reports: new KioskReports({ queryLog, alerts: ledger, storeId }),
    health,
    auth,
    hub,
    demoSamples: parts.demoSamples ?? [],
    staticDir: parts.staticDir ?? DEFAULT_STATIC,
    refreshHealth,
    plugins,
    storage: { file: dbFile, onDiskFull },
  });
  let address = '';
  services.add(
    'http server',
    async () => {
      try {
        address = await app.listen({ host: config.http.host, port: config.http.port });
      } catch (error) {
        await app.close();
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES') {
          throw new VeritermError(
            'port_unavailable',
            `cannot listen on ${config.http.host}:${config.http.port} (${code}); set PORT or http.port to a free port`,
            { cause: error },
          );
        }
        throw error;
      }
    },
    () => app.close(),
  );
  const stopDevices = async () => {
    lane.detachAll();
    for (const u of unwatch) u();
    await Promise.all([
      ...kioskScanners.map((s) => s.stop()),
      ...otherPrinters.map((p) => p.stop()),
      printQueue?.stop(),
    ]);
  };
  services.add(
    'devices',
    async () => {
      try {
        await Promise.all([
          ...kioskScanners.map((s) => s.start()),
          ...otherPrinters.map((p) => p.start()),
          printQueue?.start(),
        ]);
      } catch (error) {
        // One device failed to open: the others that did are closed with it.
        await stopDevices();
        throw error;
      }
    },
    stopDevices,
  );
  await services.start();
  const url = address.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
  logger.info({ url }, 'terminal listening');
  if (sync)
    services.add(
      'sync',
      () => sync.start(),
      () => sync.stop(),
    );
  for (const [i, service] of (parts.services?.(core) ?? []).entries()) {
    services.add(
      `service ${i + 1}`,
      () => service.start(),
      () => service.stop(),
    );
  }
  // Under systemd (Type=notify): READY once serving, watchdog pings while the event loop runs.
  const notifier = createSystemdNotifier({
    onError: (error) => logger.warn({ err: error }, 'sd_notify failed'),
  });
  services.add(
    'systemd notify',
    () =>
      notifier?.ready(`serving on ${url}`).catch((error: unknown) => {
        logger.warn({ err: error }, 'sd_notify READY failed');
      }),
    () => notifier?.stopping().catch(() => undefined),
  );
  let timer: NodeJS.Timeout | undefined;
  services.add(
    'health refresh',
    () => {
      timer = setInterval(refreshHealth, 30_000);
      timer.unref();
    },
    () => clearInterval(timer),
  );
  await services.start();

  return {
    ...core,
    app,
    url,
    kioskScanners,
    printers,
    watchSync,
    stop: () => services.stop(),
  };
}

/** The receipt profile configured for a printer id (`generic` for printers given as parts). */
function profileOf(config: Config, printerId: string): string {
  return config.printers.find((p) => p.id === printerId)?.profile ?? 'generic';
}

async function openRegistry(config: Config): Promise<RegistryReader & { close(): void }> {
  const { RegistryStore } = await import('./registry/store.js');
  const file = config.registry.file ?? join(config.dataDir, 'registry.db');
  return RegistryStore.open(file);
}
