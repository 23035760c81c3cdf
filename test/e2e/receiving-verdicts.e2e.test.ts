import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonText } from '../../kiosk-ui/src/checkout/messages.js';
import { kioskMessages } from '../../kiosk-ui/src/kiosk/messages.js';
import { receivingMessages } from '../../kiosk-ui/src/manager/receiving-messages.js';
import { stockDemoDeliveries } from '../helpers/demo-deliveries.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { ARTIFACTS, type Browser, buildPages, CHROMIUM, launchBrowser } from './browser.js';
import { CASHIER, MANAGER, type ManagerRig, startManagerRig } from './manager-fixture.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS_SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const LOCALES = ['zh-CN', 'en'] as const;

/** Full-page screenshot into test/artifacts and docs/screenshots. */
async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  copyFileSync(path, join(DOCS_SCREENSHOTS, `${name}.png`));
}

/**
 * Verdicts use receiving (issue 18), in headless Chromium against a terminal built by
 * startTerminal from config with receiving.mode warn: the kiosk detail of a received pack says when
 * and from whom this store received it; the manager page shows stock, deliveries and discrepancies
 * (a pack sold at checkout that this store never received among them). zh-CN and English.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))(
  'receiving in verdicts and on the manager page (Chromium)',
  () => {
    let tmp: ReturnType<typeof makeTempDir>;
    let rig: ManagerRig;
    let browser: Browser;
    let page: Page;
    let stock: ReturnType<typeof stockDemoDeliveries>;

    beforeAll(async () => {
      tmp = makeTempDir('veriterm-e2e-receiving-');
      const staticDir = join(tmp.dir, 'ui');
      await buildPages(staticDir);
      rig = await startManagerRig({ dir: join(tmp.dir, 'terminal'), staticDir, receivingMode: 'warn' });
      stock = stockDemoDeliveries(rig.terminal, rig.codes);
      browser = await launchBrowser({ width: 1280, height: 900 });
      page = browser.page;
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await rig?.stop();
      tmp?.cleanup();
    });

    it('kiosk: a received pack shows "received by this store on … from …"; an unreceived one shows nothing', {
      timeout: 60_000,
    }, async () => {
      await page.goto(`${rig.terminal.url}/`);
      await page.waitForSelector('.attract');
      await expect.poll(() => rig.terminal.hub.size, { timeout: 10_000 }).toBe(1);
      for (const locale of LOCALES) {
        await page.click(`.langs button[lang="${locale}"]`);
        await page.waitForSelector(`.kiosk[data-locale="${locale}"]`);
        expect(rig.scanner.inject(stock.received[0]!)).toBe(true);
        const line = await page.waitForSelector('.verdict[data-verdict="genuine"] .received', {
          timeout: 10_000,
        });
        const text = (await line.textContent()) ?? '';
        const [before, after] = kioskMessages[locale].receivedOn.split('{date}');
        expect(text.startsWith(before!)).toBe(true);
        expect(text).toContain('华东医药');
        expect(text).toContain(after!.split('{supplier}')[0]!);
        expect(text).toMatch(/2026/);
        await shoot(page, `kiosk-received-${locale}`);
        // The pack on no note: a genuine verdict without a received line.
        const checkId = await page.getAttribute('.verdict', 'data-check-id');
        expect(rig.scanner.inject(stock.unreceived)).toBe(true);
        await page.waitForSelector(`.verdict[data-verdict="genuine"]:not([data-check-id="${checkId}"])`);
        expect(await page.locator('.verdict .received').count()).toBe(0);
        await page.click('.verdict .back');
      }
    });

    it('checkout lane: the unit never received carries the note; the received one does not', {
      timeout: 60_000,
    }, async () => {
      await page.goto(`${rig.terminal.url}/checkout`);
      await page.fill('input[name="user"]', CASHIER.user);
      await page.fill('input[name="pin"]', CASHIER.pin);
      await page.click('form.sign-in button[type="submit"]');
      await page.waitForSelector('input[name="scan"]');
      for (const locale of LOCALES) {
        await page.click(`button[lang="${locale}"]`);
        for (const data of [stock.received[0]!, stock.unreceived]) {
          const before = await page.locator('.co-line').count();
          await page.fill('input[name="scan"]', data);
          await page.press('input[name="scan"]', 'Enter');
          await page.waitForFunction((n) => {
            const lines = document.querySelectorAll('.co-line');
            return lines.length > n && lines[lines.length - 1]!.getAttribute('data-state') !== 'pending';
          }, before);
        }
        const lines = page.locator('.co-line');
        const n = await lines.count();
        expect(
          await lines
            .nth(n - 2)
            .locator('[data-flag]')
            .count(),
        ).toBe(0);
        expect(await lines.nth(n - 1).getAttribute('data-state')).toBe('ok');
        expect(
          await lines
            .nth(n - 1)
            .locator('[data-flag="not_received"]')
            .textContent(),
        ).toBe(reasonText[locale].not_received);
        await shoot(page, `checkout-not-received-${locale}`);
        for (let i = 0; i < 2; i++) await lines.last().locator('button.co-remove').click();
      }
      // Nothing was sold here: the next test sells the unreceived pack.
      expect(rig.terminal.ledger.records(0, 100).filter((r) => r.type === 'sale')).toEqual([]);
    });

    it('manager: stock tiles, deliveries and the unit sold without being received', {
      timeout: 60_000,
    }, async () => {
      // Warn mode: the cashier sells the unreceived pack with a note; a diversion alert is filed.
      const signIn = async (who: { user: string; pin: string }) => {
        const res = await fetch(`${rig.terminal.url}/api/v1/auth/sign-in`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(who),
        });
        return ((await res.json()) as { data: { token: string } }).data.token;
      };
      const cashier = await signIn(CASHIER);
      const sale = await fetch(`${rig.terminal.url}/api/v1/sales`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cashier}`, 'content-type': 'application/json' },
        body: JSON.stringify({ lines: [{ data: stock.unreceived }] }),
      });
      expect(sale.status).toBe(201);
      await page.goto(`${rig.terminal.url}/manager`);
      await page.fill('input[name="user"]', MANAGER.user);
      await page.fill('input[name="pin"]', MANAGER.pin);
      await page.click('form.sign-in button[type="submit"]');
      for (const locale of LOCALES) {
        await page.click(`.mg-lang button[lang="${locale}"]`);
        const words = receivingMessages[locale];
        await page.waitForSelector(`.mg-receiving h2:text-is("${words.receiving}")`, { timeout: 10_000 });
        expect(await page.textContent('.mg-stock-tile[data-stock="onHand"] .mg-count')).toBe('3');
        expect(await page.textContent('.mg-stock-tile[data-stock="openDeliveries"] .mg-count')).toBe('1');
        const open = page.locator('.mg-deliveries tr[data-delivery="ASN-2"] td');
        expect(await open.allTextContents()).toEqual([
          expect.stringContaining('Wholesaler Two'),
          words.open,
          '2',
          '1',
          '1',
          '0',
          '1',
        ]);
        expect(await page.locator('.mg-diversions li[data-state="not_received"]').count()).toBe(1);
        expect(await page.locator('.mg-exceptions li').count()).toBe(2);
        await page.locator('.mg-receiving').scrollIntoViewIfNeeded();
        await shoot(page, `manager-receiving-${locale}`);
      }
    });
  },
);
