import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { renderPreview } from '../../../terminal/receipts/preview.js';
import { getProfile, PROFILE_IDS } from '../../../terminal/receipts/profiles.js';
import { sampleReceipt } from '../../fixtures/printer/sample-receipt.js';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '../../artifacts/printer');

/** Share of dark pixels in a horizontal band of the image. */
function darkShare(png: PNG, top: number, bottom: number): number {
  let dark = 0;
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < png.width; x++) if (png.data[(y * png.width + x) * 4]! < 128) dark++;
  }
  return dark / ((bottom - top) * png.width);
}

describe('receipt preview PNG', () => {
  for (const id of PROFILE_IDS) {
    it(`${id}: one pixel per printer dot, with ink where the receipt prints`, async () => {
      const profile = getProfile(id);
      const png = await renderPreview(sampleReceipt(), profile);
      mkdirSync(artifacts, { recursive: true });
      writeFileSync(join(artifacts, `receipt-${id}.png`), png);
      const image = PNG.sync.read(png);
      expect(image.width).toBe(profile.widthDots + 48);
      expect(image.height).toBeGreaterThan(600);
      // The logo's top frame is solid black, the margin above it white.
      expect(darkShare(image, 0, 24)).toBe(0);
      expect(darkShare(image, 24, 26)).toBeGreaterThan(0.1);
      // Something is drawn all the way down (QR, barcode, text), not a blank page.
      expect(
        darkShare(image, Math.floor(image.height * 0.5), Math.floor(image.height * 0.8)),
      ).toBeGreaterThan(0.02);
    });
  }

  it('fails clearly when the CJK font is missing', async () => {
    await expect(
      renderPreview(sampleReceipt(), getProfile('generic'), { fontPath: '/missing.ttc' }),
    ).rejects.toThrow(/CJK font not found at \/missing.ttc/);
  });
});
