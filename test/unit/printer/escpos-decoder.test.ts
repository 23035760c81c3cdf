import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedPrinterDevice } from '../../../drivers/printer/simulated-device.js';
import { encodeStatus, isStatusByte, parseStatus } from '../../../drivers/printer/status.js';
import { getProfile } from '../../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';
import { sampleReceipt } from '../../fixtures/printer/sample-receipt.js';

describe('ESC/POS decoder in the simulated printer', () => {
  const bytes = renderReceipt(sampleReceipt(), getProfile('epson-tm-t88'));
  const whole = new SimulatedPrinterDevice();
  whole.receive(bytes);

  it('decodes the same receipt however the bytes are split across reads', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const device = new SimulatedPrinterDevice();
        const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), bytes.length];
        for (let i = 1; i < points.length; i++) device.receive(bytes.subarray(points[i - 1]!, points[i]!));
        expect(device.receipts).toEqual(whole.receipts);
      }),
      { numRuns: 40 },
    );
  });

  it('never answers status for DLE EOT bytes inside image or QR data', () => {
    const answers: number[] = [];
    const device = new SimulatedPrinterDevice((b) => answers.push(...b));
    // A raster image whose data is DLE EOT 1 repeated, then a real DLE EOT 4.
    device.receive(
      Uint8Array.of(0x1d, 0x76, 0x30, 0x00, 3, 0, 2, 0, 0x10, 0x04, 1, 0x10, 0x04, 1, 0x10, 0x04, 4),
    );
    expect(answers).toEqual([0x12]);
    expect(device.pending.images).toEqual([{ widthDots: 24, heightDots: 2 }]);
  });
});

describe('DLE EOT status bytes', () => {
  it('parses the ESC/POS bits for each fault and round-trips the fake encoding', () => {
    expect(parseStatus(0x12, 0x12, 0x12)).toEqual({
      online: true,
      coverOpen: false,
      paperNearEnd: false,
      paperOut: false,
      error: false,
    });
    // Real TM-T88 answers with the paper end: offline (bit 3), stopped on paper end (bit 5), sensor bits 5–6.
    expect(parseStatus(0x1a, 0x32, 0x7e)).toMatchObject({
      online: false,
      paperOut: true,
      detail: 'Paper out',
    });
    expect(parseStatus(0x1a, 0x16, 0x12)).toMatchObject({ coverOpen: true, detail: 'Cover open' });
    expect(parseStatus(0x12, 0x12, 0x1e)).toMatchObject({
      online: true,
      paperNearEnd: true,
      detail: 'Paper near end',
    });
    expect(parseStatus(0x1a, 0x52, 0x12)).toMatchObject({ error: true, detail: 'Printer error' });
    for (const state of [
      { coverOpen: true, paperOut: false, paperNearEnd: false, error: false },
      { coverOpen: false, paperOut: true, paperNearEnd: true, error: false },
      { coverOpen: false, paperOut: false, paperNearEnd: false, error: true },
    ]) {
      const [a, b, c] = encodeStatus(state);
      expect([a, b, c].every(isStatusByte)).toBe(true);
      expect(parseStatus(a, b, c)).toMatchObject(state);
    }
  });
});
