import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { code, SPLIT } from '../integration/checkout/checkout-fixture.js';
import { PINS, startCheckoutServer } from '../integration/checkout/http-fixture.js';
import { type Browser, buildPages, CHROMIUM, launchBrowser, screenshot } from './browser.js';

const _ROOT = join(import.meta.dirname, '..', '..');
const PACK = code(42, SPLIT);

/**
 * Split-pack sales (拆零) on the cashier page in headless Chromium, against the real HTTP server,
 * ledger and verification policy: 3 of a pack of 10 strips, then the 7 left, then a refused 1;
 * the kiosk page on the same terminal shows the opened pack between the two sales.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))(
  'split-pack sale on the checkout page (Chromium)',
  () => {
    let tmp: ReturnType<typeof makeTempDir>;
    let server: Awaited<ReturnType<typeof startCheckoutServer>>;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      tmp = makeTempDir('veriterm-e2e-split-');
      const staticDir = join(tmp.dir, 'ui');
      await buildPages(staticDir);
      server = await startCheckoutServer({ dir: join(tmp.dir, 'terminal'), staticDir });
      browser = await launchBrowser({ width: 1280, height: 800 });
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

    const line = () => page.locator('.co-line').last();
    /** Waits until the last line is checked (not pending) and returns its state. */
    async function settled(): Promise<string> {
      await page.waitForFunction(() => {
        const lines = document.querySelectorAll('.co-line');
        const last = lines[lines.length - 1];
        return last !== undefined && last.getAttribute('data-state') !== 'pending';
      });
      return (await line().getAttribute('data-state')) ?? '';
    }
    async function scan(data: string): Promise<string> {
      await page.fill('input[name="scan"]', data);
      await page.press('input[name="scan"]', 'Enter');
      await page.waitForSelector('.co-line');
      return settled();
    }
    async function quantity(n: number): Promise<string> {
      await line().locator('input[name="quantity"]').fill(String(n));
      await line().locator('input[name="quantity"]').press('Tab');
      // The line is checked again with the quantity: wait for the answer that carries it.
      await page.waitForFunction((q) => {
        const input = [...document.querySelectorAll<HTMLInputElement>('.co-line input[name="quantity"]')].at(
          -1,
        );
        const li = input?.closest('.co-line');
        return input?.value === String(q) && li?.getAttribute('data-state') !== 'pending';
      }, n);
      return settled();
    }
    async function complete(): Promise<string> {
      await page.click('button.co-complete');
      await page.waitForSelector('.co-receipt');
      return (await page.textContent('.co-receipt')) ?? '';
    }
    async function kioskTitle(locale: 'en' | 'zh-CN'): Promise<string> {
      const kiosk = await browser.context.newPage();
      try {
        await kiosk.setViewportSize({ width: 1280, height: 800 });
        await kiosk.goto(`${server.url}/`);
        await kiosk.click(`.langs button[lang="${locale}"]`);
        await kiosk.fill('#manual-code', PACK);
        await kiosk.press('#manual-code', 'Enter');
        await kiosk.waitForSelector('[data-verdict]');
        expect(await kiosk.getAttribute('[data-verdict]', 'data-headline')).toBe('opened');
        await screenshot(kiosk, `kiosk-split-opened-${locale}`);
        return (await kiosk.textContent('.verdict-title')) ?? '';
      } finally {
        await kiosk.close();
      }
    }

    it('3 of 10 strips, the kiosk shows the opened pack, then 7 of 7, then a refused 1', async () => {
      expect(await scan(PACK)).toBe('ok');
      expect(await line().locator('input[name="quantity"]').getAttribute('placeholder')).toBe('10');
      expect(await quantity(3)).toBe('ok');
      expect(await line().textContent()).toContain('3/10 strips');
      await screenshot(page, 'checkout-split-3-of-10-en');
      const first = await complete();
      expect(first).toContain('3/10 strips');
      await screenshot(page, 'checkout-split-receipt-en');
      expect(server.t.ledger.writeOffOf(PACK)).toBeUndefined();
      await page.click('button.co-next');

      expect(await kioskTitle('en')).toBe('Opened pack, 7 of 10 left');
      expect(await kioskTitle('zh-CN')).toBe('已拆零，剩余7/10');

      expect(await scan(PACK)).toBe('ok');
      expect(await line().textContent()).toContain('Opened pack, 7 of 10 left');
      expect(await quantity(8)).toBe('stopped');
      expect(await line().textContent()).toContain('More than is left in this pack');
      expect(await page.isDisabled('button.co-complete')).toBe(true);
      expect(await quantity(7)).toBe('ok');
      await screenshot(page, 'checkout-split-7-of-7-en');
      expect(await complete()).toContain('7/10 strips');
      expect(server.t.ledger.writeOffOf(PACK)).toBeDefined();
      await page.click('button.co-next');

      const head = server.t.ledger.headSeq();
      expect(await scan(PACK)).toBe('stopped');
      expect(await quantity(1)).toBe('stopped');
      expect(await line().textContent()).toContain('More than is left in this pack');
      expect(await page.isDisabled('button.co-complete')).toBe(true);
      await screenshot(page, 'checkout-split-refused-en');
      // Nothing written by the refused part: no sale, no clone alert.
      expect(server.t.ledger.headSeq()).toBe(head);
      await page.click('button.co-void');
      await page.waitForSelector('.co-empty');
    });

    it('the same journey in zh-CN: the opened pack and the part on the receipt', async () => {
      const other = code(43, SPLIT);
      await page.click('button[lang="zh-CN"]');
      expect(await scan(other)).toBe('ok');
      expect(await quantity(4)).toBe('ok');
      expect(await complete()).toContain('4/10板');
      await screenshot(page, 'checkout-split-receipt-zh-CN');
      await page.click('button.co-next');
      expect(await scan(other)).toBe('ok');
      expect(await line().textContent()).toContain('已拆零，剩余6/10');
      expect(await quantity(7)).toBe('stopped');
      expect(await line().textContent()).toContain('超过此盒剩余数量');
      await screenshot(page, 'checkout-split-refused-zh-CN');
      await page.click('button.co-void');
    });
  },
);
