import { EventEmitter, once } from 'node:events';
import { ReadlineParser } from '@serialport/parser-readline';
import { SerialPort } from 'serialport';
import { createScannerSource } from '../../drivers/scanner/create-scanner-source.js';
import { serialScannerOptionsSchema } from '../../drivers/scanner/options.js';
import { SerialScanner } from '../../drivers/scanner/serial/serial-scanner.js';
import { FakeClock, FakeHidBus, FakeHidDevice } from '../../drivers/scanner/testing/fake-hid.js';
import type { ScannerSource } from '../../drivers/scanner/types.js';
import { bootKeyboardReports, HONEYWELL_POS_DESCRIPTOR, honeywellPosReports } from '../fakes/hid-reports.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { PtyScanner } from '../integration/scanner/pty-pair.js';
import { nowMs, percentile, report, scaled } from './lib.js';

const BENCH = 'scanner';

/**
 * Latency from the moment a scan's CR suffix byte is written into a socat PTY (its body already
 * read) to the moment the application sees the read: (a) raw serialport + parser-readline, the floor;
 * (b) SerialScanner's `scan` event (bounded framing, noise filter, debounce, event). Samples
 * alternate between the two so both see the same machine load.
 */
export async function run(): Promise<void> {
  await hidDecoding();
  if (!hasSystemTool('socat')) return;
  const samples = scaled(2000);
  const warmup = Math.min(200, samples);
  const temp = makeTempDir('veriterm-bench-scanner-');
  const rawPty = await PtyScanner.create(`${temp.dir}/raw`);
  const drvPty = await PtyScanner.create(`${temp.dir}/driver`);

  const port = new SerialPort({ path: rawPty.stablePath, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const parser = port.pipe(new ReadlineParser({ delimiter: '\r', encoding: 'latin1' }));

  // Wrap the real port to see its chunks: to know the code's body has been read before the suffix
  // is written, and to stamp the last chunk's arrival (the driver's own share of the latency).
  let lastChunkAt = 0;
  const driverChunks = new EventEmitter();
  const scanner = new SerialScanner(
    serialScannerOptionsSchema.parse({
      type: 'serial',
      path: drvPty.stablePath,
      baudRate: 115200,
      suffix: 'CR',
    }),
    {
      openPort: async (options) => {
        const p = new SerialPort({ ...options, autoOpen: false });
        await new Promise<void>((resolve, reject) => p.open((e) => (e ? reject(e) : resolve())));
        p.on('data', () => {
          lastChunkAt = nowMs();
          driverChunks.emit('data');
        });
        return p;
      },
    },
  );
  const connected = once(scanner, 'connected');
  await scanner.start();
  await connected;

  const raw: number[] = [];
  const driver: number[] = [];
  const internal: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    // A distinct 20-digit supervision code per read, so debounce never swallows one.
    const code = String(81_234_567_890_000_000_000n + BigInt(i));

    // The body first; once it has been read, the clock starts as the CR suffix is written.
    const rawBody = once(port, 'data');
    rawPty.write(code);
    await rawBody;
    const rawDone = once(parser, 'data');
    let t0 = nowMs();
    rawPty.write('\r');
    await rawDone;
    const rawMs = nowMs() - t0;

    const drvBody = once(driverChunks, 'data');
    drvPty.write(code);
    await drvBody;
    const scanDone = once(scanner, 'scan');
    t0 = nowMs();
    drvPty.write('\r');
    const [scan] = await scanDone;
    const scanAt = nowMs();
    const drvMs = scanAt - t0;
    if (scan.data !== code) throw new Error(`bench: expected ${code}, got ${scan.data}`);
    if (i >= warmup) {
      raw.push(rawMs);
      driver.push(drvMs);
      internal.push(scanAt - lastChunkAt);
    }
  }

  await scanner.stop();
  await new Promise<void>((resolve) => port.close(() => resolve()));
  await rawPty.dispose();
  await drvPty.dispose();
  temp.cleanup();

  const rawP50 = percentile(raw, 50);
  const rawP99 = percentile(raw, 99);
  const drvP50 = percentile(driver, 50);
  const drvP99 = percentile(driver, 99);
  report(BENCH, 'samples', samples, 'reads');
  report(BENCH, 'raw_serialport_readline_p50', rawP50, 'ms');
  report(BENCH, 'raw_serialport_readline_p99', rawP99, 'ms');
  report(BENCH, 'serial_scanner_scan_p50', drvP50, 'ms');
  report(BENCH, 'serial_scanner_scan_p99', drvP99, 'ms');
  report(BENCH, 'driver_internal_p50', percentile(internal, 50), 'ms (last chunk read -> scan event)');
  report(BENCH, 'driver_internal_p99', percentile(internal, 99), 'ms');
  report(BENCH, 'added_p50', drvP50 - rawP50, 'ms');
  report(BENCH, 'added_p99', drvP99 - rawP99, 'ms (goal <= 1)');
}

/**
 * The HID decoders' share: the time from the last input report of a scan reaching the handle
 * (as node-hid emits it) to the `scan` event, against a bare listener that copies the report
 * (what reading hidraw costs anyway). HID POS: a 3-report continued chain (130 bytes, GS inside)
 * with quirk lookup, layout, assembler and suffix removal; keyboard: a GS1 code typed as
 * press/release reports and ended by Enter (measured on the Enter press).
 */
async function hidDecoding(): Promise<void> {
  const samples = scaled(5000);
  const clock = new FakeClock(1_700_000_000_000);
  for (const mode of ['hid-pos', 'keyboard-wedge'] as const) {
    const bus = new FakeHidBus();
    const pos = mode === 'hid-pos';
    const device = new FakeHidDevice(
      { vendorId: 0x0c2e, productId: 0x0b61, usagePage: pos ? 0x8c : 0x01, usage: pos ? 0x02 : 0x06 },
      pos ? HONEYWELL_POS_DESCRIPTOR : undefined,
    );
    bus.plug(device);
    const source: ScannerSource = createScannerSource(
      pos
        ? { type: 'hid-pos', vendorId: 0x0c2e, productId: 0x0b61, debounceMs: 0 }
        : { type: 'keyboard-wedge', vendorId: 0x0c2e, productId: 0x0b61, debounceMs: 0 },
      { hid: bus, now: clock.now },
    );
    const connected = once(source, 'connected');
    await source.start();
    await connected;
    const handle = [...device.handles][0]!;
    let scanned = 0;
    source.on('scan', () => scanned++);
    const raw: number[] = [];
    const driver: number[] = [];
    for (let i = 0; i < samples; i++) {
      const serial = String(100_000 + i);
      const data = `0109506000134352${'21'}${serial}\x1d10LOT7\x1d17261231${'S'.repeat(pos ? 90 : 0)}`;
      const reports = pos
        ? honeywellPosReports(Buffer.from(data, 'latin1'), ']d2')
        : bootKeyboardReports(`${data.replace(/\x1d/g, '')}\r`);
      // HID POS: the scan ends on the last report; keyboard: on the Enter press (its release follows).
      const lastAt = pos ? reports.length - 1 : reports.length - 2;
      for (const report of reports.slice(0, lastAt)) {
        clock.advance(2);
        handle.emit('data', report);
      }
      const last = reports[lastAt]!;
      clock.advance(2);
      // Raw floor: one listener that takes the report, as any reader of hidraw must.
      let t0 = nowMs();
      Buffer.from(last);
      raw.push(nowMs() - t0);
      const before = scanned;
      t0 = nowMs();
      handle.emit('data', last);
      driver.push(nowMs() - t0);
      if (scanned !== before + 1) throw new Error(`bench: ${mode} scan ${i} was not delivered`);
      for (const report of reports.slice(lastAt + 1)) handle.emit('data', report);
      clock.advance(1000);
    }
    await source.stop();
    const name = pos ? 'hid_pos' : 'keyboard_wedge';
    report(BENCH, `${name}_raw_report_p99`, percentile(raw, 99), 'ms');
    report(BENCH, `${name}_last_report_to_scan_p50`, percentile(driver, 50), 'ms');
    report(BENCH, `${name}_last_report_to_scan_p99`, percentile(driver, 99), 'ms');
    report(BENCH, `${name}_added_p99`, percentile(driver, 99) - percentile(raw, 99), 'ms (goal <= 1)');
  }
}
