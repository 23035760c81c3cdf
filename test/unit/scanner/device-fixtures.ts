import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScannerSource } from '../../../drivers/scanner/index.js';
import { FakeClock, FakeHidBus, FakeHidDevice } from '../../../drivers/scanner/testing/fake-hid.js';
import type { Scan, ScannerSource } from '../../../drivers/scanner/types.js';
import { until } from './scanner-contract.js';

export const FIXTURE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/devices');

/** A scanner dump from test/fixtures/devices (see its `source` for where the bytes come from). */
export interface ScannerFixture {
  file: string;
  kind: 'scanner';
  device: string;
  vendor: string;
  usb: { vendorId: string | null; productId: string | null; usagePage: string; usage: string };
  mode: 'hid-pos' | 'keyboard-wedge';
  provenance: 'real' | 'reconstructed';
  source: { url: string; shows: string };
  descriptor: string | null;
  requiresFeatureReport?: string;
  reports: { gapMs: number; hex: string }[];
  options: Record<string, unknown>;
  expect: Outcome;
  withoutOptions?: Outcome;
  quirks: string[];
  result: string;
}

interface Outcome {
  scans: { data: string; symbology?: string }[];
  errors: string[];
}

export function loadFixtures<T extends { kind: string }>(kind: T['kind']): (T & { file: string })[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ ...(JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as T), file }))
    .filter((f) => f.kind === kind);
}

/** Ids for devices whose fixture has none (generic firmware): never in the quirk table. */
const PLACEHOLDER = { vendorId: 0x1a2b, productId: 0x3c4d };

/**
 * Replays a fixture's reports through the whole driver stack (createScannerSource → HID source →
 * decoder → debounce → events) on a fake HID bus, report by report at the recorded gaps, and
 * returns what came out once `settled` says enough did.
 */
export async function replayFixture(
  fixture: ScannerFixture,
  options: Record<string, unknown> = fixture.options,
  settled: (out: { scans: Scan[]; errors: string[] }) => boolean = (out) =>
    out.scans.length + out.errors.length >= fixture.expect.scans.length + fixture.expect.errors.length,
): Promise<{ scans: Scan[]; errors: string[]; device: FakeHidDevice; source: ScannerSource }> {
  const vendorId = fixture.usb.vendorId ? Number.parseInt(fixture.usb.vendorId, 16) : PLACEHOLDER.vendorId;
  const productId = fixture.usb.productId
    ? Number.parseInt(fixture.usb.productId, 16)
    : PLACEHOLDER.productId;
  const bus = new FakeHidBus();
  const clock = new FakeClock(1_700_000_000_000);
  const device = new FakeHidDevice(
    {
      vendorId,
      productId,
      usagePage: Number.parseInt(fixture.usb.usagePage, 16),
      usage: Number.parseInt(fixture.usb.usage, 16),
    },
    fixture.descriptor ? Buffer.from(fixture.descriptor, 'hex') : undefined,
    fixture.requiresFeatureReport
      ? { requiresFeatureReport: [...Buffer.from(fixture.requiresFeatureReport, 'hex')] }
      : {},
  );
  bus.plug(device);
  const source = createScannerSource(
    {
      type: fixture.mode,
      vendorId,
      productId,
      debounceMs: 0,
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
      ...options,
    } as Parameters<typeof createScannerSource>[0],
    { hid: bus, now: clock.now },
  );
  const scans: Scan[] = [];
  const errors: string[] = [];
  source.on('scan', (s) => scans.push(s));
  source.on('error', (e) => errors.push(e.code));
  const connected = new Promise<void>((resolve) => source.once('connected', () => resolve()));
  await source.start();
  await connected;
  for (const report of fixture.reports) {
    await device.replay([Buffer.from(report.hex, 'hex')], clock, report.gapMs);
  }
  await until(() => settled({ scans, errors }), `${fixture.file}: the expected scans and errors`, 3000).catch(
    () => undefined,
  );
  await source.stop();
  return { scans, errors, device, source };
}
