import { join } from 'node:path';
import { FakeNetworkPrinter } from '../../drivers/printer/fake-network-printer.js';
import { SimulatedScanner } from '../../drivers/scanner/simulated-scanner.js';
import { validateConfig } from '../../terminal/config/index.js';
import { hashPin } from '../../terminal/http/auth/pin-hash.js';
import { silentLogger } from '../../terminal/logger.js';
import { type RunningTerminal, startTerminal } from '../../terminal/main.js';
import { type DemoRegistry, openDemoRegistry } from '../../terminal/registry/demo.js';

export const MANAGER = { user: 'm1', pin: '2468' };
/** A cashier, for role-boundary tests. */
export const CASHIER = { user: 'c1', pin: '1357' };

export interface ManagerRig {
  terminal: RunningTerminal;
  printer: FakeNetworkPrinter;
  scanner: SimulatedScanner;
  /** The demo registry's codes, each with the verdict it gives. */
  codes: DemoRegistry['codes'];
  stop(): Promise<void>;
}

/**
 * A terminal as production builds it (startTerminal from a validated config): a network receipt
 * printer (the fake on loopback TCP, polled every 200 ms), a simulated kiosk scanner, the demo
 * registry, a manager user, and — when `brokerUrl` is given — the upstream link from `config.sync`.
 */
export async function startManagerRig(options: {
  dir: string;
  staticDir?: string;
  brokerUrl?: string;
  /** `receiving.mode` of the config. @default off */
  receivingMode?: 'off' | 'warn' | 'enforce';
}): Promise<ManagerRig> {
  const printer = new FakeNetworkPrinter();
  await printer.start();
  const { store, demo } = await openDemoRegistry(
    join(options.dir, 'registry'),
    join(options.dir, 'registry.db'),
  );
  const scanner = new SimulatedScanner({ deviceId: 'kiosk-1', debounceMs: 0 });
  const parsed = validateConfig({
    dataDir: join(options.dir, 'data'),
    http: { host: '127.0.0.1', port: 0 },
    auth: {
      users: [
        { id: MANAGER.user, role: 'manager', pinHash: await hashPin(MANAGER.pin) },
        { id: CASHIER.user, role: 'cashier', pinHash: await hashPin(CASHIER.pin) },
      ],
      maxFailedSignIns: 3,
    },
    printers: [
      { transport: 'network', id: 'receipt', host: '127.0.0.1', port: printer.port, pollIntervalMs: 200 },
    ],
    ...(options.receivingMode ? { receiving: { mode: options.receivingMode } } : {}),
    ...(options.brokerUrl
      ? {
          sync: {
            brokerUrl: options.brokerUrl,
            storeId: 'S-DEMO',
            terminalId: 'T-01',
            statusIntervalMs: 250,
            reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
          },
        }
      : {}),
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const terminal = await startTerminal(parsed.config, silentLogger(), {
    registry: store,
    kioskScanners: [scanner],
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
  });
  return {
    terminal,
    printer,
    scanner,
    codes: demo.codes,
    async stop() {
      await terminal.stop();
      store.close();
      await printer.stop();
    },
  };
}
