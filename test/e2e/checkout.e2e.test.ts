import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { code, NOT_COVERED } from '../integration/checkout/checkout-fixture.js';
import { PINS, startCheckoutServer } from '../integration/checkout/http-fixture.js';
import { type Browser, buildPages, CHROMIUM, launchBrowser, screenshot } from './browser.js';

const _ROOT = join(import.meta.dirname, '..', '..');

/**
 * The cashier page in headless Chromium against the real HTTP server, ledger and verification
 * policy. The UI is built fresh into a temp directory so the test sees this checkout's page.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))('checkout page (Chromium)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let server: Awaited<ReturnType<typeof startCheckoutServer>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-e2e-checkout-');
    const staticDir = join(tmp.dir, 'ui');
    await buildPages(staticDir);
    server = await startCheckoutServer({ dir: join(tmp.dir, 'terminal'), staticDir });
    browser = await launchBrowser({ width: 1280, height: 900 });
    page = browser.page;
    page.on('dialog', (dialog) => void dialog.accept());
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

  it('stops unsellable items with the reason, overrides an unverifiable one, completes the sale with a receipt', async () => {
    await scan(code(1));
    await scan(code(2));
    expect(await lastLine().getAttribute('data-state')).toBe('ok');
    await scan(code(800000001));
    expect(await lastLine().getAttribute('data-state')).toBe('stopped');
    expect(await lastLine().textContent()).toContain('Stopped: Recalled');
    expect(await page.isDisabled('button.co-complete')).toBe(true);
    await screenshot(page, 'checkout-stopped-recalled');
    await lastLine().locator('button.co-remove').click();

    await scan(code(3, NOT_COVERED));
    expect(await lastLine().getAttribute('data-verdict')).toBe('unverifiable');
    await lastLine().locator('button.co-override').click();
    await page.fill('input[name="approver"]', 'm1');
    await page.fill('input[name="approver-pin"]', PINS.manager);
    await page.fill('input[name="reason"]', 'vitamins not covered yet');
    await page.click('form.co-approval button[type="submit"]');
    await page.waitForSelector('.co-line[data-state="overridden"]');
    expect(await lastLine().textContent()).toContain('Overridden by m1: vitamins not covered yet');
    await screenshot(page, 'checkout-basket-override');

    await page.click('button.co-complete');
    await page.waitForSelector('.co-receipt');
    const saleId = (await page.textContent('.co-sale-id'))!.trim();
    expect(await page.locator('.co-receipt li').count()).toBe(3);
    expect(await page.textContent('.co-receipt')).toContain(`…${code(2).slice(-6)}`);
    expect(await page.textContent('.co-receipt')).toContain('[!]');
    await screenshot(page, 'checkout-receipt');
    const stored = server.t.ledger.sale(saleId);
    expect(stored?.writeOffs.map((w) => w.payload.codeKey)).toEqual([code(1), code(2), code(3, NOT_COVERED)]);
    expect(stored?.sale.payload.lines[2]).toMatchObject({
      verdict: 'unverifiable',
      override: { by: 'm1', reason: 'vitamins not covered yet' },
    });
    await page.click('button.co-next');
    await page.waitForSelector('.co-empty');
  });

  it('a sold code is stopped as already sold; a keyboard-wedge scan works without focus; void clears the basket', async () => {
    await scan(code(1));
    expect(await lastLine().getAttribute('data-verdict')).toBe('already_sold');
    expect(await lastLine().textContent()).toContain('Already sold');
    // Wedge: keys typed fast while focus is on the page, not the field.
    await page.click('h1');
    await page.keyboard.type(code(4), { delay: 2 });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.co-line[data-state="ok"]').length === 1);
    await screenshot(page, 'checkout-already-sold');
    await page.click('button.co-void');
    await page.waitForSelector('.co-empty');
    expect(server.t.ledger.writeOffOf(code(4))).toBeUndefined();
  });

  it('keeps GS typed as Ctrl+] into the FOCUSED scan field: the line carries batch and serial', async () => {
    await page.focus('input[name="scan"]');
    const before = await page.locator('.co-line').count();
    await page.keyboard.type('01095060001343521720122510L2506');
    await page.keyboard.press('Control+BracketRight');
    expect(await page.inputValue('input[name="scan"]')).toBe('01095060001343521720122510L2506\u241d');
    await page.keyboard.type('2112345');
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => {
      const lines = document.querySelectorAll('.co-line');
      return lines.length > n && lines[lines.length - 1]!.getAttribute('data-state') !== 'pending';
    }, before);
    // The unit key holds serial 12345 (without the GS: product only, batch "L250621 12345").
    expect(await lastLine().getAttribute('data-key')).toBe('01095060001343522112345');
    expect(await lastLine().getAttribute('data-verdict')).not.toBe('malformed');
    await page.click('button.co-void');
    await page.waitForSelector('.co-empty');
  });

  it('returns need a manager PIN and re-activate the code; a code never sold here is refused', async () => {
    await page.click('.co-tabs button:nth-child(2)');
    await page.fill('input[name="scan"]', code(2));
    await page.press('input[name="scan"]', 'Enter');
    await page.fill('input[name="scan"]', code(9));
    await page.press('input[name="scan"]', 'Enter');
    await page.fill('input[name="approver"]', 'm1');
    await page.fill('input[name="approver-pin"]', PINS.manager);
    await page.click('form.co-approval button[type="submit"]');
    await page.waitForSelector('.co-line[data-state="stopped"]');
    // Return words, not sale words ("Stopped: Not sold here").
    expect(await page.textContent('.co-line[data-state="stopped"] .co-badge')).toBe(
      'Cannot return: No sale of this item at this store',
    );
    await screenshot(page, 'checkout-return-refused');
    await page.locator('.co-line[data-state="stopped"] button.co-remove').click();
    await page.fill('input[name="approver-pin"]', PINS.manager);
    await page.click('form.co-approval button[type="submit"]');
    await page.waitForFunction(() =>
      document.querySelector('.co-done')?.textContent?.includes('re-activated'),
    );
    expect(server.t.ledger.writeOffOf(code(2))).toBeUndefined();
    await page.click('button[lang="zh-CN"]');
    await page.click('.co-tabs button:nth-child(1)');
    await page.waitForSelector('input[name="scan"]');
    await scan(code(800000005));
    expect(await lastLine().textContent()).toContain('禁止销售：已过期');
    await screenshot(page, 'checkout-zh-expired');
  });
});
