import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScannerSource } from '../../../drivers/scanner/index.js';
import type { ScannerSource } from '../../../drivers/scanner/types.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { collect, GS1_CODE, next, scannerContract, until } from '../../unit/scanner/scanner-contract.js';
import { PtyScanner } from './pty-pair.js';

const hasSocat = hasSystemTool('socat');

/** Lets the event loop run so separate write() calls reach the driver as separate reads. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe.skipIf(!hasSocat)('SerialScanner over socat PTYs', () => {
  scannerContract(
    'SerialScanner (socat PTY, CR suffix)',
    async () => {
      const temp = makeTempDir('veriterm-serial-');
      const pty = await PtyScanner.create(temp.dir);
      const source = createScannerSource({
        type: 'serial',
        path: pty.stablePath,
        suffix: 'CR',
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      });
      return {
        source,
        read: async (data) => pty.write(`${data}\r`),
        unplug: () => pty.unplug(),
        replug: () => pty.replug(),
        cleanup: async () => {
          await pty.dispose();
          temp.cleanup();
        },
      };
    },
    { canUnplug: true },
  );

  let temp: ReturnType<typeof makeTempDir>;
  let pty: PtyScanner;
  let source: ScannerSource | undefined;

  beforeEach(async () => {
    temp = makeTempDir('veriterm-serial-');
    pty = await PtyScanner.create(temp.dir);
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    await pty.dispose();
    temp.cleanup();
  });

  async function open(options: Record<string, unknown>): Promise<ScannerSource> {
    source = createScannerSource({
      type: 'serial',
      path: pty.stablePath,
      debounceMs: 0,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      ...options,
    } as Parameters<typeof createScannerSource>[0]);
    const connected = next(source, 'connected');
    await source.start();
    await connected;
    return source;
  }

  for (const [suffix, bytes] of [
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['Tab', '\t'],
    ['none', ''],
  ] as const) {
    it(`frames reads ending in ${suffix}, split at awkward places`, async () => {
      const s = await open({ suffix, interByteTimeoutMs: 40 });
      const scans = collect(s);
      const wire = `${GS1_CODE}${bytes}`;
      // Cut inside the GTIN, right before GS, and (for CRLF) between CR and LF.
      const cuts = [3, GS1_CODE.indexOf('\x1d'), GS1_CODE.length, GS1_CODE.length + 1];
      let at = 0;
      for (const cut of cuts) {
        pty.write(wire.slice(at, cut));
        at = cut;
        await tick();
      }
      pty.write(wire.slice(at));
      await until(() => scans.length === 1, `one scan with suffix ${suffix}`);
      if (suffix !== 'none') {
        pty.write(`81234567890123456789${bytes}`);
        await until(() => scans.length === 2, 'the second scan');
      }
      expect(scans[0]!.data).toBe(GS1_CODE);
      expect(scans[0]!.deviceId).toBe(pty.stablePath);
      if (suffix !== 'none') expect(scans[1]!.data).toBe('81234567890123456789');
    });
  }

  it('drops power-up noise before a scan and reports a frame of pure garbage', async () => {
    const s = await open({ suffix: 'CR' });
    const scans = collect(s);
    const errors: string[] = [];
    s.on('error', (e) => errors.push(e.code));
    pty.write(Buffer.from([0x00, 0xff, 0x00, 0xfe, 0x7f]));
    pty.write('\x07\x00\x1b\r'); // a frame of nothing but garbage: reported, dropped
    pty.write('\n\x00\xff81234567890123456789\r');
    await until(() => scans.length > 0, 'the scan after the noise');
    expect(scans.map((x) => x.data)).toEqual(['81234567890123456789']);
    expect(errors).toEqual(['noise']);
  });

  it('reports an overlong frame, never buffers it, and reads the next code', async () => {
    const s = await open({ suffix: 'CR', maxFrameLength: 64 });
    const scans = collect(s);
    const errors: string[] = [];
    s.on('error', (e) => errors.push(e.code));
    for (let i = 0; i < 20; i++) {
      pty.write('Z'.repeat(50)); // 1000 bytes, no suffix: a scanner set to the wrong suffix
      await tick();
    }
    pty.write('\r81234567890123456789\r');
    await until(() => scans.length === 1, 'the scan after the overlong frame');
    expect(scans[0]!.data).toBe('81234567890123456789');
    expect(errors).toEqual(['overlong']);
  });

  it('turns a double read into one scan (debounce)', async () => {
    const s = await open({ suffix: 'CR', debounceMs: 1500 });
    const scans = collect(s);
    pty.write(`${GS1_CODE}\r${GS1_CODE}\r`);
    pty.write('81234567890123456789\r');
    await until(() => scans.length === 2, 'two scans');
    expect(scans.map((x) => x.data)).toEqual([GS1_CODE, '81234567890123456789']);
  });

  it('survives repeated unplug/replug at the same stable path without a restart', async () => {
    const s = await open({ suffix: 'CR' });
    for (let round = 0; round < 3; round++) {
      const gone = next(s, 'disconnected');
      await pty.unplug();
      await gone;
      const back = next(s, 'connected');
      await pty.replug();
      await back;
      const scan = next(s, 'scan');
      pty.write(`CODE${round}-81234567890123456789\r`);
      expect((await scan).data).toBe(`CODE${round}-81234567890123456789`);
    }
  });

  it('finds the port by vendor:product:serial on every open, wherever the node moved to', async () => {
    const { realpathSync } = await import('node:fs');
    // What serialport's list() reports: the tty node changes on replug, the USB ids do not.
    let listed = realpathSync(pty.stablePath);
    const listPorts = async () => [
      { path: '/dev/ttyS0' },
      { path: '/dev/ttyACM9', vendorId: '0c2e', productId: '0b6a', serialNumber: 'OTHER' },
      { path: listed, vendorId: '0c2e', productId: '0b6a', serialNumber: '21101B2C4F' },
    ];
    source = createScannerSource(
      {
        type: 'serial',
        match: { vendorId: '0x0c2e', productId: '0x0b6a', serialNumber: '21101B2C4F' },
        reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      },
      { listPorts },
    );
    expect(source.deviceId).toBe('usb:0c2e:0b6a:21101B2C4F');
    const connected = next(source, 'connected');
    await source.start();
    await connected;
    const gone = next(source, 'disconnected');
    await pty.unplug();
    await gone;
    const back = next(source, 'connected');
    await pty.replug();
    listed = realpathSync(pty.stablePath);
    await back;
    const scan = next(source, 'scan');
    pty.write(`${GS1_CODE}\r`);
    expect((await scan).data).toBe(GS1_CODE);
  });
});
