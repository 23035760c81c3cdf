import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SalePayload } from '../../terminal/ledger/payloads.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { code, gs1Code, PRODUCT_ONLY, PRODUCT_ONLY_KEY } from '../integration/checkout/checkout-fixture.js';
import { PINS, startCheckoutServer } from '../integration/checkout/http-fixture.js';
import { type Browser, buildPages, CHROMIUM, launchBrowser, screenshot } from './browser.js';

const _ROOT = join(import.meta.dirname, '..', '..');

/**
 * Issue 16 item 2 at the lane (cashier page in Chromium, real HTTP server, ledger and policy):
 * product-only packs (EAN, no serial) sold on a supervisor's approval, sale after sale, each
 * completing with a receipt and none writing anything off.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))('checkout: product-only packs (Chromium)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let server: Awaited<ReturnType<typeof startCheckoutServer>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-e2e-ean-');
    const staticDir = join(tmp.dir, 'ui');
    await buildPages(staticDir);
    server = await startCheckoutServer({ dir: join(tmp.dir, 'terminal'), staticDir });
    browser = await launchBrowser({ width: 1280, height: 900 });
    page = browser.page;
    await page.goto(`${server.url}/checkout`);
    await page.click('button[lang="en"]');
    await page.fill('input[name="user"]', 'c1');
    await page.fill('input[name="pin"]', PINS.cashier);
    await page.click('form.sign-in button[type="submit"]');
    await page.waitForSelector('input[name="scan"]');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    tmp?.cleanup();
  });

  async function scan(data: string) {
    const before = await page.locator('.co-line').count();
    await page.fill('input[name="scan"]', data);
    await page.press('input[name="scan"]', 'Enter');
    await page.waitForFunction((n) => {
      const lines = document.querySelectorAll('.co-line');
      return lines.length > n && lines[lines.length - 1]!.getAttribute('data-state') !== 'pending';
    }, before);
  }
  const lastLine = () => page.locator('.co-line').last();

  /** A supervisor approves the last line with their PIN. */
  async function approveLast(reason: string) {
    await lastLine().locator('button.co-override').click();
    await page.fill('input[name="approver"]', 'm1');
    await page.fill('input[name="approver-pin"]', PINS.manager);
    await page.fill('input[name="reason"]', reason);
    await page.click('form.co-approval button[type="submit"]');
    await page.waitForFunction(
      () => document.querySelector('.co-line:last-child')?.getAttribute('data-state') === 'overridden',
    );
  }

  async function completeAndNext(): Promise<{ saleId: string; items: number }> {
    await page.click('button.co-complete');
    await page.waitForSelector('.co-receipt');
    const saleId = (await page.textContent('.co-sale-id'))!.trim();
    const items = await page.locator('.co-receipt li').count();
    return { saleId, items };
  }

  it('three packs of one EAN, three sales in a row on a supervisor override: each completes', async () => {
    const saleIds: string[] = [];
    for (let i = 1; i <= 3; i++) {
      await scan(PRODUCT_ONLY);
      const line = lastLine();
      expect(await line.getAttribute('data-verdict')).toBe('unverifiable');
      expect(await line.getAttribute('data-state')).toBe('stopped');
      expect(await line.textContent()).toContain('Product barcode only (no unit code)');
      expect(await page.isDisabled('button.co-complete')).toBe(true);
      if (i === 1) await screenshot(page, 'checkout-product-only-stopped');
      await approveLast(`EAN pack ${i}`);
      expect(await lastLine().textContent()).toContain(`Overridden by m1: EAN pack ${i}`);
      const { saleId, items } = await completeAndNext();
      expect(items).toBe(1);
      expect(await page.textContent('.co-receipt')).toContain('Mineral water 550 mL');
      expect(await page.textContent('.co-receipt')).toContain('[!]');
      if (i === 3) await screenshot(page, 'checkout-product-only-receipt-3');
      saleIds.push(saleId);
      await page.click('button.co-next');
      await page.waitForSelector('.co-empty');
    }
    expect(new Set(saleIds).size).toBe(3);
    for (const saleId of saleIds) {
      const stored = server.t.ledger.sale(saleId)!;
      expect(stored.writeOffs).toEqual([]);
      expect((stored.sale.payload as SalePayload).lines).toEqual([
        expect.objectContaining({
          codeKey: PRODUCT_ONLY_KEY,
          productOnly: true,
          override: expect.objectContaining({ by: 'm1' }),
        }),
      ]);
    }
    const types = server.t.ledger.records(0, 100).map((r) => r.type);
    expect(types.filter((t) => t === 'write_off' || t === 'alert')).toEqual([]);
    expect(server.t.ledger.writeOffOf(PRODUCT_ONLY_KEY)).toBeUndefined();
  });

  it('two packs of the EAN with a unit code in one basket: both packs and the unit on one receipt', async () => {
    await scan(PRODUCT_ONLY);
    await approveLast('two bottles');
    await scan(code(1));
    expect(await lastLine().getAttribute('data-state')).toBe('ok');
    await scan(PRODUCT_ONLY);
    await approveLast('two bottles');
    const { saleId, items } = await completeAndNext();
    expect(items).toBe(3);
    expect(await page.locator('.co-receipt li[data-product-only]').count()).toBe(2);
    await screenshot(page, 'checkout-product-only-basket');
    expect(server.t.ledger.sale(saleId)?.writeOffs.map((w) => w.payload.codeKey)).toEqual([code(1)]);
    await page.click('button.co-next');
    await page.waitForSelector('.co-empty');
  });

  it('a code whose use-by date disagrees with its unit is stopped without an override button', async () => {
    // AI 17 is fixed-length: no GS in the typed code.
    await scan(gs1Code(9, { expiry: '300530' }));
    const line = lastLine();
    expect(await line.getAttribute('data-verdict')).toBe('unknown');
    expect(await line.textContent()).toContain(
      'Use-by date differs from the registry (possible counterfeit)',
    );
    expect(await line.locator('button.co-override').count()).toBe(0);
    await screenshot(page, 'checkout-expiry-mismatch');
    await line.locator('button.co-remove').click();
    await page.waitForSelector('.co-empty');
  });
});
