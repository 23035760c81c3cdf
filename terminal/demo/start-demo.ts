import { join, resolve } from 'node:path';
import { FakePrinter } from '../../drivers/printer/fake-printer.js';
import { SimulatedScanner } from '../../drivers/scanner/simulated-scanner.js';
import { formatConfigIssues, validateConfig } from '../config/load-config.js';
import type { ConfigInput } from '../config/schema.js';
import { VeritermError } from '../errors.js';
import { hashPin } from '../http/auth/pin-hash.js';
import type { HttpPlugin } from '../http/http-deps.js';
import type { DemoSample, ReceivingDemoLabel } from '../http/wire-types.js';
import { ServiceList } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import { type RunningTerminal, startTerminal, type TerminalCore, type TerminalService } from '../main.js';
import { type DemoRegistry, openDemoRegistry } from '../registry/demo.js';
import { ensureUiBuilt } from './build-ui.js';
import { demoDeliveryLabels, importDemoDelivery } from './demo-delivery.js';
import { demoRoutes } from './demo-routes.js';
import { sampleLabel } from './samples.js';

export interface DemoOptions {
  /** @default env VERITERM_DATA or ./data */
  dataDir?: string;
  /** @default env PORT or 8080 (0 = any free port) */
  port?: number;
  /**
   * Address the HTTP server binds. The demo's PINs are public (printed at start), so it stays on
   * this machine unless asked: `HOST=0.0.0.0` or `veriterm demo --host 0.0.0.0`.
   * @default env HOST or '127.0.0.1'
   */
  host?: string;
  logger: Logger;
  /** Extra config (merged over the demo defaults). */
  config?: ConfigInput;
  /** Build kiosk-ui if missing/stale. @default true */
  buildUi?: boolean;
  /** More routes (checkout, manager) once their areas land; they get the running core. */
  plugins?: (core: TerminalCore) => HttpPlugin[];
  /** Parts started with the terminal and stopped before it closes (embedded broker, upstream link). */
  services?: (core: TerminalCore) => TerminalService[];
}

export interface RunningDemo {
  terminal: RunningTerminal;
  scanner: SimulatedScanner;
  printer: FakePrinter;
  registry: DemoRegistry;
  samples: DemoSample[];
  /** The demo delivery's labels (pallets, cases, units, the foreign case), also on /receiving. */
  receivingLabels: ReceivingDemoLabel[];
  /** Demo sign-in users (PINs are demo-only, printed at start). */
  users: { id: string; role: 'cashier' | 'manager'; pin: string }[];
  stop(): Promise<void>;
}

const DEMO_USERS = [
  { id: 'cashier', role: 'cashier' as const, pin: '1234' },
  { id: 'manager', role: 'manager' as const, pin: '9999' },
];

/**
 * The zero-config demo behind `npm start`: a signed demo registry (created on first start under
 * `<data>/registry`, imported into `<data>/registry.db`), the terminal database and identity, a
 * simulated scanner on the kiosk lane, a simulated receipt printer, the kiosk UI at
 * http://localhost:8080. Composable: it returns `stop()`, and other parts (broker, upstream) can be
 * started around it.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const dataDir = resolve(options.dataDir ?? process.env.VERITERM_DATA ?? './data');
  const port = options.port ?? (process.env.PORT ? Number(process.env.PORT) : 8080);
  const host = options.host ?? (process.env.HOST || '127.0.0.1');
  if (!isLoopback(host)) {
    options.logger.warn(
      { host },
      'demo HTTP server reachable from the network: its demo PINs (printed at start) sign anyone in',
    );
  }
  const users = await Promise.all(
    DEMO_USERS.map(async (u) => ({ id: u.id, role: u.role, pinHash: await hashPin(u.pin) })),
  );
  const parsed = validateConfig({
    ...options.config,
    dataDir,
    http: { host, port, ...options.config?.http },
    kiosk: { demo: true, ...options.config?.kiosk },
    auth: { users, ...options.config?.auth },
  });
  if (!parsed.ok) {
    throw new VeritermError('bad_config', `demo config is invalid:\n${formatConfigIssues(parsed.issues)}`);
  }
  const config = parsed.config;
  const staticDir = options.buildUi === false ? undefined : await ensureUiBuilt(options.logger);
  const { store, demo } = await openDemoRegistry(join(dataDir, 'registry'), join(dataDir, 'registry.db'));
  // No debounce: a demo click is a deliberate read, and clicking the same sample twice should show twice.
  const scanner = new SimulatedScanner({ deviceId: 'sim:kiosk-scanner', debounceMs: 0 });
  const printer = new FakePrinter('sim:printer');
  const samples: DemoSample[] = [];
  const receivingLabels: ReceivingDemoLabel[] = [];
  // The terminal is given the registry, so the registry is stopped after it (and if it fails to start).
  const services = new ServiceList(options.logger.child({ module: 'lifecycle' }));
  services.add('demo registry', undefined, () => store.close());
  let terminal: RunningTerminal | undefined;
  services.add(
    'terminal',
    async () => {
      terminal = await startTerminal(config, options.logger, {
        registry: store,
        kioskScanners: [scanner],
        printers: [printer],
        demoSamples: samples,
        receivingDemoLabels: receivingLabels,
        staticDir,
        plugins: (core) => [demoRoutes(scanner), ...(options.plugins?.(core) ?? [])],
        ...(options.services ? { services: options.services } : {}),
      });
    },
    () => terminal?.stop(),
  );
  await services.start();
  const running = terminal!;
  // Label each sample with the verdict this terminal really gives (not recorded in the query log).
  const unreadable = { scan: '6901234-HELLO', note: 'not a code: scan again' };
  for (const code of [...demo.codes, unreadable]) {
    const verdict = running.verifier.verify(code.scan, { record: false });
    samples.push({
      data: code.scan,
      expect: verdict.verdict,
      label: sampleLabel(verdict.verdict, code.note, code.scan),
    });
  }
  // A pending signed delivery note for the receiving page (docs/receiving.md "Demo delivery").
  const delivery = importDemoDelivery(running.receiving.store, config.terminal.storeId, options.logger);
  if (delivery.ok) receivingLabels.push(...demoDeliveryLabels());
  return {
    terminal: running,
    scanner,
    printer,
    registry: demo,
    samples,
    receivingLabels,
    users: DEMO_USERS,
    stop: () => services.stop(),
  };
}

/** Whether `host` is a loopback address (or name): only this machine can reach it. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
