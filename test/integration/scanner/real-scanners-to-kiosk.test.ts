import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScannerSource } from '../../../drivers/scanner/index.js';
import { FakeClock, FakeHidBus, FakeHidDevice } from '../../../drivers/scanner/testing/fake-hid.js';
import { validateConfig } from '../../../terminal/config/load-config.js';
import type { WsMessage } from '../../../terminal/http/wire-types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { type RunningTerminal, startTerminal } from '../../../terminal/main.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { FakeRegistry, SAMPLE } from '../kiosk/fixtures.js';

/** Honeywell HID POS reports (layout of the Voyager 1602g dump), continued bit in the last byte. */
function honeywellReports(text: string): Buffer[] {
  const data = Buffer.from(text, 'latin1');
  const reports: Buffer[] = [];
  for (let at = 0; at === 0 || at < data.length; at += 56) {
    const chunk = data.subarray(at, at + 56);
    const r = Buffer.alloc(64);
    r[0] = 2;
    r[1] = chunk.length;
    r.write(']C0', 2, 'latin1');
    chunk.copy(r, 5);
    r[63] = at + 56 < data.length ? 1 : 0;
    reports.push(r);
  }
  return reports;
}

/** A French-layout keyboard scanner typing digits (Shift + top row) and ending with Enter. */
function azertyReports(digits: string): Buffer[] {
  const usage = (d: string) => (d === '0' ? 0x27 : 0x1d + Number(d));
  const reports = [...digits].flatMap((d) => [
    Buffer.from([0x02, 0, usage(d), 0, 0, 0, 0, 0]),
    Buffer.alloc(8),
  ]);
  return [...reports, Buffer.from([0, 0, 0x28, 0, 0, 0, 0, 0]), Buffer.alloc(8)];
}

describe('store day: a Honeywell composite and an AZERTY wedge scanner feed the kiosk', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let terminal: RunningTerminal;
  const bus = new FakeHidBus();
  const clock = new FakeClock();
  const honeywell = new FakeHidDevice(
    { vendorId: 0x0c2e, productId: 0x0b8f, serialNumber: 'HW1', usagePage: 0x8c, usage: 0x02 },
    undefined,
    { requiresFeatureReport: [0xfe, 0x01] },
  );
  const wedge = new FakeHidDevice({ vendorId: 0x1a2b, productId: 0x0001, usagePage: 0x01, usage: 0x06 });
  const reconnect = { initialDelayMs: 10, maxDelayMs: 50 };

  beforeAll(async () => {
    bus.plug(honeywell);
    bus.plug(wedge);
    tmp = makeTempDir();
    const parsed = validateConfig({
      dataDir: tmp.dir,
      http: { host: '127.0.0.1', port: 0 },
      terminal: { timeZone: 'UTC' },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const deps = { hid: bus, now: clock.now };
    terminal = await startTerminal(parsed.config, silentLogger(), {
      registry: new FakeRegistry(),
      kioskScanners: [
        createScannerSource({ type: 'hid-pos', vendorId: 0x0c2e, productId: 0x0b8f, reconnect }, deps),
        createScannerSource(
          {
            type: 'keyboard-wedge',
            vendorId: 0x1a2b,
            productId: 0x0001,
            keyboard: { layout: 'fr' },
            reconnect,
          },
          deps,
        ),
      ],
      printers: [],
      staticDir: tmp.dir,
    });
  });
  afterAll(async () => {
    await terminal.stop();
    tmp.cleanup();
  });

  async function verdicts(count: number, act: () => Promise<void>): Promise<WsMessage[]> {
    const socket = await terminal.app.injectWS('/api/v1/ws');
    const got: WsMessage[] = [];
    socket.on('message', (raw: Buffer) => {
      const m = JSON.parse(String(raw)) as WsMessage;
      if (m.type === 'verdict') got.push(m);
    });
    await act();
    const deadline = Date.now() + 5000;
    while (got.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    socket.terminate();
    return got;
  }

  const waitListening = async (device: FakeHidDevice) => {
    const deadline = Date.now() + 5000;
    while (![...device.handles].some((h) => h.listenerCount('data') > 0)) {
      if (Date.now() > deadline) throw new Error('the scanner was never opened');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('reads both scanners: CR suffix removed in HID POS, AZERTY digits read right', async () => {
    await waitListening(honeywell);
    await waitListening(wedge);
    const got = await verdicts(2, async () => {
      await honeywell.replay(honeywellReports(`${SAMPLE.genuine}\r`), clock);
      clock.advance(2000);
      await wedge.replay(azertyReports(SAMPLE.stolen), clock);
    });
    expect(got.map((m) => (m.type === 'verdict' ? m.data.verdict : m.type))).toEqual(['genuine', 'stolen']);
    expect(honeywell.featureReports.map((r) => r.toString('hex'))).toEqual(['fe01']);
  });

  it('after an unplug the Honeywell is set to HID POS output again and keeps reading', async () => {
    bus.unplug(honeywell);
    bus.plug(honeywell);
    await waitListening(honeywell);
    clock.advance(5000);
    const got = await verdicts(1, () => honeywell.replay(honeywellReports(`${SAMPLE.recalled}\r\n`), clock));
    expect(got.map((m) => (m.type === 'verdict' ? m.data.verdict : m.type))).toEqual(['recalled']);
    expect(honeywell.featureReports.map((r) => r.toString('hex'))).toEqual(['fe01', 'fe01']);
  });
});
