import { describe, expect, expectTypeOf, it } from 'vitest';
import { createPrinter } from '../../../drivers/printer/factory.js';
import { printerOptionsSchema } from '../../../drivers/printer/options.js';
import { createScannerSource } from '../../../drivers/scanner/create-scanner-source.js';
import { scannerOptionsSchema } from '../../../drivers/scanner/options.js';
import { formatConfigIssues, validateConfig } from '../../../terminal/config/load-config.js';

// The drivers own their options schemas (drivers/scanner/options.ts, drivers/printer/options.ts);
// the config schema composes them, so a typo inside scanners[]/printers[] is named like a top-level
// one, and the composition root gets typed options (no casts).

const EVERY_KIND = {
  scanners: [
    { type: 'simulated' },
    { type: 'stdin', lane: 'checkout' },
    { type: 'serial', path: '/dev/serial/by-id/usb-scanner', baudRate: 115_200 },
    { type: 'hid-pos', vendorId: '0x0c2e', productId: '0x0b61' },
    { type: 'keyboard-wedge', vendorId: 0x1eab, productId: 0x8310, keyboard: { layout: 'de' } },
  ],
  printers: [
    { transport: 'network', host: '10.0.0.9' },
    { transport: 'serial', id: 'slip', path: '/dev/ttyS1', baudRate: 19_200 },
    { transport: 'usb', id: 'usb', vendorId: 0x04b8, productId: 0x0202 },
    { transport: 'file', id: 'file', path: '/tmp/receipts.bin' },
    { transport: 'fake', id: 'fake' },
  ],
};

function issuesOf(input: unknown) {
  const result = validateConfig(input);
  if (result.ok) throw new Error('expected the config to be refused');
  return result.issues;
}

describe('config: scanners[] and printers[] by their drivers’ schemas', () => {
  it('names a typo inside printers[] with its path, the field meant and the fields allowed', () => {
    const issues = issuesOf({
      printers: [
        { transport: 'network', host: '10.0.0.9', prot: 9100 },
        { transport: 'serial', path: '/dev/ttyS1', baudrate: 19_200 },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual(['printers[0].prot', 'printers[1].baudrate']);
    expect(issues[0]!.value).toBe('9100');
    expect(issues[0]!.expected).toMatch(
      /^no such field \(did you mean 'port'\?\); allowed here: transport, host, port,/,
    );
    expect(issues[1]!.expected).toContain("(did you mean 'baudRate'?)");
    // Each transport lists its own fields: a serial printer has no host.
    expect(issues[1]!.expected).toContain('allowed here: transport, path, baudRate, rtscts,');
    expect(issues[1]!.expected).not.toContain('host');
  });

  it('names a typo inside scanners[], nested fields included, and knows the lane field', () => {
    const issues = issuesOf({
      scanners: [
        { type: 'serial', path: '/dev/ttyACM0', baudrate: 9600, lnae: 'kiosk' },
        { type: 'keyboard-wedge', vendorId: 1, productId: 2, keyboard: { layot: 'us' } },
      ],
    });
    expect(formatConfigIssues(issues).split('\n')).toEqual([
      expect.stringMatching(
        /^ {2}scanners\[0\]\.baudrate: got 9600; no such field \(did you mean 'baudRate'\?\)/,
      ),
      expect.stringMatching(/^ {2}scanners\[0\]\.lnae: got "kiosk"; no such field \(did you mean 'lane'\?\)/),
      expect.stringMatching(
        /^ {2}scanners\[1\]\.keyboard\.layot: got "us"; no such field \(did you mean 'layout'\?\); allowed here: layout, gs, capsLock, altCodePage/,
      ),
    ]);
  });

  it('offers no guess when nothing is close, and still lists the fields', () => {
    const [issue] = issuesOf({ printers: [{ transport: 'fake', colour: 'red' }] });
    expect(issue).toMatchObject({ path: 'printers[0].colour', value: '"red"' });
    expect(issue!.expected).toBe(
      'no such field; allowed here: transport, id, profile, pollIntervalMs, statusTimeoutMs, writeTimeoutMs (docs/configuration.md)',
    );
  });

  it('names top-level typos the same way', () => {
    const [issue] = issuesOf({ printer: [] });
    expect(issue).toMatchObject({ path: 'printer', value: '[]' });
    expect(issue!.expected).toMatch(
      /^no such field \(did you mean 'printers'\?\); allowed here: terminal, dataDir,/,
    );
  });

  it('still reports wrong values and unknown kinds at their paths', () => {
    const issues = issuesOf({
      scanners: [{ type: 'serail', path: '/dev/ttyACM0' }],
      printers: [{ transport: 'network', host: '10.0.0.9', port: 70_000 }],
    });
    expect(issues.map((i) => i.path)).toEqual(['scanners[0].type', 'printers[0].port']);
    expect(issues[0]!.expected).toContain("'serial'");
  });

  it('the drivers’ own schemas refuse unknown fields too (provisioning and tools use them directly)', () => {
    expect(printerOptionsSchema.safeParse({ transport: 'file', path: '/tmp/x', prot: 1 }).success).toBe(
      false,
    );
    expect(scannerOptionsSchema.safeParse({ type: 'stdin', baudrate: 1 }).success).toBe(false);
    expect(scannerOptionsSchema.safeParse({ type: 'serial', path: '/dev/x', lane: 'kiosk' }).success).toBe(
      false,
    );
  });

  it('parses a config with every scanner type and printer transport to typed options with defaults', () => {
    const result = validateConfig(EVERY_KIND);
    if (!result.ok) throw new Error(formatConfigIssues(result.issues));
    const { scanners, printers } = result.config;
    expect(scanners.map((s) => [s.type, s.lane])).toEqual([
      ['simulated', 'kiosk'],
      ['stdin', 'checkout'],
      ['serial', 'kiosk'],
      ['hid-pos', 'kiosk'],
      ['keyboard-wedge', 'kiosk'],
    ]);
    const serial = scanners[2]!;
    if (serial.type !== 'serial') throw new Error('expected the serial scanner');
    expectTypeOf(serial.baudRate).toEqualTypeOf<number>();
    expect(serial).toMatchObject({ baudRate: 115_200, suffix: 'CR', parity: 'none' });
    const hid = scanners[3]!;
    if (hid.type !== 'hid-pos') throw new Error('expected the HID POS scanner');
    // Hex ids from the file arrive as numbers.
    expectTypeOf(hid.vendorId).toEqualTypeOf<number>();
    expect([hid.vendorId, hid.productId]).toEqual([0x0c2e, 0x0b61]);
    const wedge = scanners[4]!;
    if (wedge.type !== 'keyboard-wedge') throw new Error('expected the keyboard wedge');
    expect(wedge.keyboard).toEqual({ layout: 'de', capsLock: 'track', altCodePage: 'cp437' });

    expect(printers.map((p) => p.transport)).toEqual(['network', 'serial', 'usb', 'file', 'fake']);
    const network = printers[0]!;
    if (network.transport !== 'network') throw new Error('expected the network printer');
    expectTypeOf(network.port).toEqualTypeOf<number>();
    expect(network).toMatchObject({ id: 'receipt', port: 9100, profile: 'generic', connectTimeoutMs: 3000 });
    const usb = printers[2]!;
    if (usb.transport !== 'usb') throw new Error('expected the USB printer');
    expect(usb).toMatchObject({ vendorId: 0x04b8, protocol: 'auto' });

    // The composition root's calls, with no cast: the drivers accept the config's entries as they are.
    const sources = scanners.map(({ lane: _lane, ...options }) => createScannerSource(options));
    expect(sources.map((s) => s.deviceId)).toContain('sim:scanner');
    const built = printers.map((options) => createPrinter(options));
    expect(built.map((p) => p.id)).toEqual(['receipt', 'slip', 'usb', 'file', 'fake']);
  });
});
