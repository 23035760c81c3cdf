import { readdirSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedScanner } from '../../../drivers/scanner/simulated-scanner.js';
import { validateConfig } from '../../../terminal/config/load-config.js';
import { silentLogger } from '../../../terminal/logger.js';
import { startTerminal } from '../../../terminal/main.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { FakeRegistry } from './fixtures.js';

// The composition root's failed start and its stop run the same service list (terminal/lifecycle.ts):
// a port in use stops what had started (databases, ledger writer) and nothing that had not.

/** Files under `dir` this process holds open (Linux /proc): the databases and their WAL. */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ''; // closed between the listing and the read
      }
    })
    .filter((target) => target.startsWith(`${dir}/`));
}

describe('composition root: the port is in use', () => {
  const tmp = makeTempDir();
  let holder: Server;
  let port = 0;

  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => holder.close(resolve));
    tmp.cleanup();
  });

  const config = (p: number) => {
    const parsed = validateConfig({
      dataDir: tmp.dir,
      http: { host: '127.0.0.1', port: p },
      terminal: { timeZone: 'UTC' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.config;
  };

  it('refuses with port_unavailable, never starts the devices or services, and leaves the data reusable', async () => {
    const calls: string[] = [];
    const scanner = new SimulatedScanner({ deviceId: 'sim:listen', debounceMs: 0 });
    const parts = {
      registry: new FakeRegistry(),
      kioskScanners: [scanner],
      printers: [],
      staticDir: tmp.dir,
      services: () => [
        {
          start: async () => {
            calls.push('service start');
          },
          stop: async () => {
            calls.push('service stop');
          },
        },
      ],
    };
    await expect(startTerminal(config(port), silentLogger(), parts)).rejects.toMatchObject({
      code: 'port_unavailable',
      message: expect.stringContaining(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`),
    });
    expect(calls).toEqual([]);
    expect(scanner.state).toBe('stopped');
    // Both connections and the ledger writer thread's own connection were closed.
    expect(openFilesUnder(tmp.dir)).toEqual([]);

    // The same data directory starts on a free port: its ledger was closed, not left half-open.
    const terminal = await startTerminal(config(0), silentLogger(), { ...parts, services: undefined });
    expect(terminal.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(scanner.state).not.toBe('stopped');
    expect(openFilesUnder(tmp.dir).some((f) => f.endsWith('terminal.db'))).toBe(true);
    await terminal.stop();
    expect(scanner.state).toBe('stopped');
    expect(openFilesUnder(tmp.dir)).toEqual([]);
  });

  it('a part that fails before listening (a bad sync section) closes what was already open', async () => {
    const parsed = validateConfig({
      dataDir: tmp.dir,
      http: { host: '127.0.0.1', port: 0 },
      terminal: { timeZone: 'UTC' },
      sync: {
        brokerUrl: 'mqtt://127.0.0.1:1',
        storeId: 'S1',
        terminalId: 'T1',
        credentialsFile: `${tmp.dir}/no-such-credentials.json`,
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    await expect(
      startTerminal(parsed.config, silentLogger(), { registry: new FakeRegistry(), staticDir: tmp.dir }),
    ).rejects.toThrow('no-such-credentials.json');
    expect(openFilesUnder(tmp.dir)).toEqual([]);
  });
});
