/**
 * An anonymous flood of the kiosk's WebSocket on the real composition root (startTerminal): the
 * scans an attacker can make the terminal verify and log are bounded, the data folder stays small,
 * the terminal keeps answering, and pages from a foreign origin cannot connect.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { validateConfig } from '../../../terminal/config/load-config.js';
import type { ConfigInput } from '../../../terminal/config/schema.js';
import type { WsMessage } from '../../../terminal/http/wire-types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { type RunningTerminal, startTerminal } from '../../../terminal/main.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { FakeRegistry } from '../kiosk/fixtures.js';
import { call, until } from './http-client.js';

const MB = 1_048_576;

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

/** A well-formed 20-digit code, distinct per i (so every scan is a new code for the counters). */
const codeOf = (i: number) => `6901234${String(i).padStart(13, '0')}`;

interface Flooder {
  socket: WebSocket;
  verdicts: number;
  refused: number;
  closed: Promise<number>;
}

/** Opens an anonymous socket and counts what comes back. */
async function open(url: string, options: { origin?: string; from?: string } = {}): Promise<Flooder> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/v1/ws`, {
    ...(options.origin ? { origin: options.origin } : {}),
    ...(options.from ? { localAddress: options.from } : {}),
  });
  const flooder: Flooder = {
    socket,
    verdicts: 0,
    refused: 0,
    closed: new Promise((resolve) => socket.on('close', (code) => resolve(code))),
  };
  socket.on('message', (raw: Buffer) => {
    const m = JSON.parse(String(raw)) as WsMessage;
    if (m.type === 'verdict') flooder.verdicts++;
    else if (m.type === 'error' && m.error.code === 'rate_limited') flooder.refused++;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return flooder;
}

/** The status an upgrade was refused with, or 101 if it opened. */
function upgradeStatus(url: string, options: { origin?: string; from?: string } = {}): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/api/v1/ws`, {
      ...(options.origin ? { origin: options.origin } : {}),
      ...(options.from ? { localAddress: options.from } : {}),
    });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    socket.once('error', () => undefined);
  });
}

describe('anonymous WebSocket flood', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let terminal: RunningTerminal | undefined;

  async function start(extra: ConfigInput = {}): Promise<RunningTerminal> {
    tmp = makeTempDir('veriterm-flood-');
    const parsed = validateConfig({
      dataDir: join(tmp.dir, 'data'),
      http: { host: '127.0.0.1', port: 0, ...extra.http },
      terminal: { timeZone: 'UTC' },
      ...(extra.storage ? { storage: extra.storage } : {}),
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    terminal = await startTerminal(parsed.config, silentLogger(), {
      registry: new FakeRegistry(),
      kioskScanners: [],
      printers: [],
      staticDir: tmp.dir,
    });
    return terminal;
  }
  afterEach(async () => {
    await terminal?.stop();
    terminal = undefined;
    tmp?.cleanup();
  });

  it('20,000 scans from 4 sockets: most refused rate_limited, floods closed 1008, nothing refused is logged, the folder stays small', async () => {
    const t = await start();
    const flooders = await Promise.all(
      Array.from({ length: 4 }, (_, k) => open(t.url, { from: `127.0.0.${k + 2}` })),
    );
    for (const [k, f] of flooders.entries()) {
      for (let i = 0; i < 5_000; i++)
        f.socket.send(JSON.stringify({ type: 'scan', id: i, data: codeOf(k * 5_000 + i), source: 'wedge' }));
    }
    const codes = await Promise.all(flooders.map((f) => f.closed));
    // Each socket's own limit refused 100 scans within 10 s: the terminal closed it (policy violation).
    expect(codes).toEqual([1008, 1008, 1008, 1008]);
    const verdicts = flooders.reduce((n, f) => n + f.verdicts, 0);
    const refused = flooders.reduce((n, f) => n + f.refused, 0);
    // Each socket: its burst of 20 at most (the shared anonymous burst is 100), then refusals.
    expect(verdicts).toBeGreaterThan(0);
    expect(verdicts).toBeLessThanOrEqual(4 * 20 + 10);
    expect(refused).toBeGreaterThanOrEqual(4 * 99);
    // Only verified scans were logged: the refused ones never reached the query log.
    expect(t.queryLog.recent(1_000)).toHaveLength(verdicts);

    // The terminal is up and healthy, and an honest page still gets its verdicts.
    const health = await call(t.url, 'GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(t.health.get('storage')?.level).toBe('ok');
    const page = await open(t.url, { from: '127.0.0.9' });
    const scan = await until(
      async () => {
        page.socket.send(JSON.stringify({ type: 'scan', id: 1, data: codeOf(99_999), source: 'wedge' }));
        await new Promise((resolve) => setTimeout(resolve, 200));
        return page.verdicts;
      },
      (n) => n > 0,
    );
    expect(scan).toBeGreaterThan(0);
    page.socket.close();
    expect(folderBytes(tmp.dir)).toBeLessThan(2 * MB);
  });

  it('20,000 scans with the limits lifted: every scan logged, yet truncating checkpoints keep the folder under 10 MB', {
    timeout: 180_000,
  }, async () => {
    const t = await start({
      http: {
        limits: {
          scansPerSecond: 10_000,
          scanBurst: 100_000,
          anonymousScansPerSecond: 100_000,
          anonymousScanBurst: 100_000,
        },
      },
    });
    const flooder = await open(t.url);
    // At most 1,000 unanswered at a time: this client shares the terminal's event loop, so it
    // must be let read its verdicts (a client that reads none is closed past 4 MiB of replies).
    for (let sent = 0; sent < 20_000; ) {
      while (sent < 20_000 && sent - flooder.verdicts < 1_000) {
        flooder.socket.send(JSON.stringify({ type: 'scan', id: sent, data: codeOf(sent), source: 'wedge' }));
        sent++;
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(flooder.socket.readyState).toBe(WebSocket.OPEN);
    }
    await until(
      async () => flooder.verdicts,
      (n) => n === 20_000,
      120_000,
    );
    expect(t.queryLog.recent(1)[0]!.key).toBe(codeOf(19_999));
    flooder.socket.close();
    // The last checkpoint ran after the last 256th check; the issue saw a 225 MB WAL here.
    expect(folderBytes(tmp.dir)).toBeLessThan(10 * MB);
    expect(statSync(join(tmp.dir, 'data', 'terminal.db-wal')).size).toBeLessThan(4 * MB);
  });

  it('refuses upgrades from a foreign Origin (403) and past the per-source connection limit (503)', async () => {
    const t = await start();
    const own = new URL(t.url).origin;
    expect(await upgradeStatus(t.url, { origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(t.url, { origin: 'null' })).toBe(403);
    expect(await upgradeStatus(t.url, { origin: own })).toBe(101);
    // No Origin: not a browser page; the role rules decide (anonymous is a kiosk).
    expect(await upgradeStatus(t.url)).toBe(101);
    const held = await Promise.all(Array.from({ length: 8 }, () => open(t.url, { from: '127.0.0.20' })));
    expect(await upgradeStatus(t.url, { from: '127.0.0.20' })).toBe(503);
    expect(await upgradeStatus(t.url, { from: '127.0.0.21' })).toBe(101);
    for (const h of held) h.socket.close();
    await Promise.all(held.map((h) => h.closed));
    await until(
      () => upgradeStatus(t.url, { from: '127.0.0.20' }),
      (status) => status === 101,
    );
  });
});
