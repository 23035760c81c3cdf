import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedScanner } from '../../../drivers/scanner/simulated-scanner.js';
import { validateConfig } from '../../../terminal/config/load-config.js';
import type { HealthSnapshot, WsMessage } from '../../../terminal/http/wire-types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { type RunningTerminal, startTerminal } from '../../../terminal/main.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { FakeRegistry, SAMPLE } from './fixtures.js';

type Socket = Awaited<ReturnType<RunningTerminal['app']['injectWS']>>;

/** Collects a socket's messages and waits for one that matches. */
function inbox(socket: Socket) {
  const messages: WsMessage[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (raw: Buffer) => {
    messages.push(JSON.parse(String(raw)) as WsMessage);
    for (const w of waiters.splice(0)) w();
  });
  return {
    messages,
    async next<T extends WsMessage>(match: (m: WsMessage) => m is T, timeoutMs = 5000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) {
          messages.splice(messages.indexOf(found), 1);
          return found;
        }
        if (Date.now() > deadline) throw new Error('timed out waiting for a WebSocket message');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
  };
}

const isVerdict = (m: WsMessage): m is Extract<WsMessage, { type: 'verdict' }> => m.type === 'verdict';
const isHealth = (m: WsMessage): m is Extract<WsMessage, { type: 'health' }> => m.type === 'health';

describe('composition root: scanner → kiosk lane → WebSocket, health', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let terminal: RunningTerminal;
  const scanner = new SimulatedScanner({ deviceId: 'sim:test', debounceMs: 0 });
  const lifecycle: string[] = [];

  beforeAll(async () => {
    tmp = makeTempDir();
    const parsed = validateConfig({
      dataDir: tmp.dir,
      http: { host: '127.0.0.1', port: 0 },
      terminal: { timeZone: 'UTC' },
      auth: { tokens: [{ name: 'mgr', role: 'manager', sha256: 'a'.repeat(64) }] },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    terminal = await startTerminal(parsed.config, silentLogger(), {
      registry: new FakeRegistry(),
      kioskScanners: [scanner],
      printers: [],
      staticDir: tmp.dir,
      services: (core) => [
        {
          start: async () => {
            lifecycle.push(`start:${core.kioskScanners.length}`);
          },
          stop: async () => {
            lifecycle.push('stop');
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await terminal.stop();
    tmp.cleanup();
  });

  it('pushes every scan’s verdict to kiosk pages, with the scan’s device and time', async () => {
    const socket = await terminal.app.injectWS('/api/v1/ws');
    const box = inbox(socket);
    scanner.inject(SAMPLE.genuine);
    scanner.inject(SAMPLE.stolen);
    scanner.inject('garbage');
    const got = [await box.next(isVerdict), await box.next(isVerdict), await box.next(isVerdict)];
    expect(got.map((m) => m.data.verdict)).toEqual(['genuine', 'stolen', 'malformed']);
    expect(got[0]).toMatchObject({ lane: 'kiosk', scan: { deviceId: 'sim:test' } });
    expect(got[0]!.data.checkId).toBeGreaterThan(0);
    // The scan was logged: the next check of the same code has history.
    expect(terminal.queryLog.history(SAMPLE.genuine).checksHere).toBe(1);
    // Kiosk pages never get health details.
    scanner.unplug('cable pulled');
    scanner.inject(SAMPLE.genuine);
    expect(box.messages.some(isHealth)).toBe(false);
    socket.terminate();
    scanner.replug();
  });

  it('reads the symbology a scanner reports beside the data (HID POS) without gluing it onto the data', async () => {
    const socket = await terminal.app.injectWS('/api/v1/ws');
    const box = inbox(socket);
    scanner.inject(SAMPLE.genuine, ']C0');
    const got = await box.next(isVerdict);
    expect(got.data.verdict).toBe('genuine');
    expect(got.data.code?.aim?.raw).toBe(']C0');
    socket.terminate();
  });

  it('answers a page’s own scan message to that page only, and refuses bad messages', async () => {
    const a = await terminal.app.injectWS('/api/v1/ws');
    const b = await terminal.app.injectWS('/api/v1/ws');
    const boxA = inbox(a);
    const boxB = inbox(b);
    a.send(JSON.stringify({ type: 'scan', id: 7, data: SAMPLE.recalled, source: 'wedge' }));
    const answer = await boxA.next(isVerdict);
    expect(answer).toMatchObject({ replyTo: 7, lane: 'kiosk', data: { verdict: 'recalled' } });
    expect(terminal.queryLog.recent(1)[0]).toMatchObject({ key: SAMPLE.recalled, source: 'wedge' });
    a.send('not json');
    a.send(JSON.stringify({ type: 'scan', id: 8, data: 42 }));
    const isError = (m: WsMessage): m is Extract<WsMessage, { type: 'error' }> => m.type === 'error';
    expect((await boxA.next(isError)).error.code).toBe('bad_json');
    expect(await boxA.next(isError)).toMatchObject({ replyTo: 8, error: { code: 'bad_request' } });
    expect(boxB.messages.some(isVerdict)).toBe(false);
    a.terminate();
    b.terminate();
  });

  it('starts other areas’ services with the terminal, handing them the core', () => {
    expect(lifecycle).toEqual(['start:1']);
  });

  it('health shows the scanner going away and coming back, and the registry age', async () => {
    scanner.unplug('cable pulled');
    const res = await terminal.app.inject({ method: 'GET', url: '/api/v1/health' });
    const body = res.json<{ data: { level: string; items: { component: string; level: string }[] } }>();
    expect(body.data.level).toBe('fail');
    expect(body.data.items).toContainEqual({ component: 'scanner:sim:test', level: 'fail' });
    expect(body.data.items).toContainEqual({ component: 'registry', level: 'ok' });
    scanner.replug();
    const snapshot: HealthSnapshot = terminal.health.snapshot();
    expect(snapshot.items.find((i) => i.component === 'scanner:sim:test')).toMatchObject({
      level: 'ok',
      reason: 'Connected',
    });
  });
});
