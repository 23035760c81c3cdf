import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SimulatedPrinterDevice } from '../../../drivers/printer/simulated-device.js';
import { getProfile, PROFILE_IDS } from '../../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';
import { sampleReceipt } from '../../fixtures/printer/sample-receipt.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/printer');

/** Hex, 32 bytes a line, so a changed command shows up as a readable diff. */
function hexDump(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.match(/.{1,64}/g)!.join('\n')}\n`;
}

describe('golden ESC/POS bytes per profile', () => {
  for (const id of PROFILE_IDS) {
    it(`${id} renders the sample receipt byte for byte as before`, () => {
      const bytes = renderReceipt(sampleReceipt(), getProfile(id));
      const file = join(fixtures, `${id}.hex`);
      // UPDATE_GOLDEN=1 rewrites the fixtures after a deliberate change; review the diff.
      if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, hexDump(bytes));
      expect(hexDump(bytes)).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('Chinese-font profiles carry GB18030 text; the others carry no GB18030 and print CJK lines as images', () => {
    const genuine = Buffer.from([0xd5, 0xfd, 0xc6, 0xb7]); // 正品
    for (const id of PROFILE_IDS) {
      const profile = getProfile(id);
      const bytes = Buffer.from(renderReceipt(sampleReceipt(), profile));
      const device = new SimulatedPrinterDevice();
      device.receive(bytes);
      const [receipt] = device.receipts;
      expect(receipt!.qrCodes).toEqual(['https://id.example.com/01/09506000134352/21/ABC123?17=261231']);
      expect(receipt!.barcodes).toEqual([{ symbology: 2, data: '4006381333931' }]);
      expect(receipt!.drawerPulses).toBe(1);
      if (profile.chineseFont) {
        expect(bytes.includes(genuine)).toBe(true);
        // Centred by GB18030 widths: 8 Chinese characters and the middle dot (A1A4, a double-byte
        // code printed from the 24×24 font) are 2 columns each, the two spaces 1: 20 columns.
        expect(receipt!.lines).toContain(`${' '.repeat((profile.columns - 20) / 2)}维瑞超市 · 正品保证`);
        expect(receipt!.images).toHaveLength(1); // the logo only
      } else {
        expect(bytes.includes(genuine)).toBe(false);
        expect(receipt!.lines.some((l) => /[\u4e00-\u9fff]/.test(l))).toBe(false);
        expect(receipt!.images.length).toBeGreaterThan(3); // logo + every line holding Chinese
        expect(receipt!.images.slice(1).every((image) => image.heightDots === 24)).toBe(true);
      }
    }
  });
});
