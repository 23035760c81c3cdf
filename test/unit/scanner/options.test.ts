import { describe, expect, it } from 'vitest';
import { parseScannerOptions, ScannerError, scannerOptionsSchema } from '../../../drivers/scanner/index.js';

describe('scanner options', () => {
  it('fills defaults and accepts USB ids as hex strings', () => {
    expect(parseScannerOptions({ type: 'serial', path: '/dev/serial/by-id/x' })).toMatchObject({
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      suffix: 'CR',
      maxFrameLength: 1024,
      debounceMs: 1500,
      reconnect: { initialDelayMs: 100, maxDelayMs: 2000 },
    });
    expect(parseScannerOptions({ type: 'hid-pos', vendorId: '0x0c2e', productId: '0B61' })).toMatchObject({
      vendorId: 0x0c2e,
      productId: 0x0b61,
    });
  });

  it('names every bad field and what was expected', () => {
    let error: unknown;
    try {
      parseScannerOptions({ type: 'serial', baudRate: 'fast', suffix: 'CRCR', parity: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScannerError);
    expect((error as ScannerError).code).toBe('bad_scanner_options');
    const message = (error as Error).message;
    for (const field of ['baudRate', 'suffix', 'parity']) expect(message).toContain(field);
    expect(() => parseScannerOptions({ type: 'serial' })).toThrow(/path.*stable/);
    expect(() => parseScannerOptions({ type: 'laser' })).toThrow(ScannerError);
  });

  it('embeds in a larger config schema', () => {
    const parsed = scannerOptionsSchema.array().parse([{ type: 'simulated' }, { type: 'stdin' }]);
    expect(parsed.map((o) => o.type)).toEqual(['simulated', 'stdin']);
  });
});
