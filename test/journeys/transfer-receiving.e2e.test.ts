/**
 * Issue 19's judged transfer on the pages (Chromium) over the real two-store stack (terminal
 * processes, reference upstream, spawned mosquitto): S1 receives a delivery and its manager ships
 * three units to S2 as a transfer (API, as the stock page will); upstream sends S2 the transfer note;
 * S2's clerk checks it in on the `/receiving` page of a handheld (keyboard-wedge scans) and closes
 * it complete; S1's cashier page stops a transferred unit ("shipped out"), S2's sells it. Each
 * state is photographed in zh-CN and English (test/artifacts, docs/screenshots).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, buildPages, CHROMIUM, launchBrowser, screenshot } from '../e2e/browser.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { CODE_BY_NAME } from './lib/registry-fixture.js';
import { StoreDayStack, until } from './lib/stack.js';
import { PINS } from './lib/terminal-process.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS_SHOTS = join(ROOT, 'docs', 'screenshots');
const key = (name: string) => CODE_BY_NAME.get(name)!.key!;

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('chromium', CHROMIUM))(
  'a transfer from S1 checked in on S2’s receiving page',
  () => {
    let tmp: ReturnType<typeof makeTempDir>;
    let stack: StoreDayStack;
    let browser: Browser;
    let manager = '';

    beforeAll(async () => {
      tmp = makeTempDir('vt-journey-transfer-e2e-');
      const staticDir = join(tmp.dir, 'ui');
      await buildPages(staticDir);
      stack = await StoreDayStack.start(join(tmp.dir, 'stack'), ['S1', 'S2'], { staticDir });
      browser = await launchBrowser({ width: 360, height: 640 });
      const signIn = await stack
        .store('S1')
        .terminal.call<{ token: string }>('POST', '/api/v1/auth/sign-in', { user: 'm1', pin: PINS.manager });
      if (signIn.body.status !== 'ok') throw new Error(JSON.stringify(signIn.body));
      manager = signIn.body.data.token;
    }, 240_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.close();
      tmp?.cleanup();
    });

    async function s1<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
      const answer = await stack.store('S1').terminal.call<T>(method, path, body, manager);
      if (answer.body.status !== 'ok') throw new Error(`${method} ${path}: ${JSON.stringify(answer.body)}`);
      return answer.body.data;
    }

    /** Both languages of the page's current state; `langButton` selects the page's switch. */
    async function shots(page: Page, name: string, langButton: (lang: string) => string): Promise<void> {
      for (const lang of ['zh-CN', 'en']) {
        await page.click(langButton(lang));
        await page.waitForFunction((l) => document.documentElement.lang === l, lang);
        const path = await screenshot(page, `${name}-${lang}`);
        mkdirSync(DOCS_SHOTS, { recursive: true });
        copyFileSync(path, join(DOCS_SHOTS, `${name}-${lang}.png`));
      }
    }
    const receivingLang = (lang: string) => `.rc-lang button[lang="${lang}"]`;
    const checkoutLang = (lang: string) => `button[lang="${lang}"]`;

    /** A handheld's scanner: keys typed with nothing focused, then Enter; waits for the answer's sound. */
    async function wedgeScan(page: Page, data: string): Promise<void> {
      const before = await page.evaluate(() => {
        const root = document.querySelector<HTMLElement>('.rc-page')!;
        return Number(root.dataset.soundsOk ?? 0) + Number(root.dataset.soundsProblem ?? 0);
      });
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.type(data, { delay: 2 });
      await page.keyboard.press('Enter');
      await page.waitForFunction((n) => {
        const root = document.querySelector<HTMLElement>('.rc-page')!;
        return Number(root.dataset.soundsOk ?? 0) + Number(root.dataset.soundsProblem ?? 0) > n;
      }, before);
    }

    async function cashierPage(storeId: string): Promise<Page> {
      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${stack.store(storeId).terminal.url}/checkout`);
      await page.click('button[lang="en"]');
      await page.fill('input[name="user"]', 'c1');
      await page.fill('input[name="pin"]', PINS.cashier);
      await page.click('form.sign-in button[type="submit"]');
      await page.waitForSelector('input[name="scan"]');
      return page;
    }
    async function scanLine(page: Page, data: string) {
      const before = await page.locator('.co-line').count();
      await page.fill('input[name="scan"]', data);
      await page.press('input[name="scan"]', 'Enter');
      await page.waitForFunction((n) => {
        const lines = document.querySelectorAll('.co-line');
        return lines.length > n && lines[lines.length - 1]!.getAttribute('data-state') !== 'pending';
      }, before);
      const line = page.locator('.co-line').last();
      return { state: await line.getAttribute('data-state'), text: (await line.textContent()) ?? '' };
    }

    it('S2’s clerk checks the transfer in on the page; S1 stops the unit at the till, S2 sells it', {
      timeout: 240_000,
    }, async () => {
      const units = ['a1', 'a2', 'a3', 'a4'].map(key);
      const sent = await stack.upstream.deliveries.send(
        { storeId: 'S1', terminalId: 'T1' },
        {
          deliveryId: 'ASN-E2E-1',
          supplier: { id: 'sup-1', name: 'Wholesaler One' },
          expectedArrival: new Date().toISOString(),
          units,
        },
        { timeoutMs: 60_000 },
      );
      expect(sent).toMatchObject({ status: 'accepted' });
      for (const u of units) await s1('POST', '/api/v1/receiving/deliveries/ASN-E2E-1/scan', { data: u });
      await s1('POST', '/api/v1/receiving/deliveries/ASN-E2E-1/close', { outcome: 'complete' });
      const shipment = await s1<{ id: string }>('POST', '/api/v1/shipments', {
        kind: 'transfer',
        reason: 'rebalance',
        toStoreId: 'S2',
      });
      const moved = units.slice(0, 3);
      await s1('POST', `/api/v1/shipments/${shipment.id}/scans`, { codes: moved });
      await s1('POST', `/api/v1/shipments/${shipment.id}/close`);
      const deliveryId = `TR-${shipment.id}`;
      await until(
        async () =>
          (await stack.upstream.transfers.list()).find((t) => t.deliveryId === deliveryId)?.state ===
          'delivered',
        'the transfer note delivered to S2',
        { state: () => stack.upstream.transfers.list() },
      );

      // S2's back door: the transfer is on the list of deliveries, from store S1.
      const page = browser.page;
      await page.goto(`${stack.store('S2').terminal.url}/receiving`);
      await page.waitForSelector('form.sign-in');
      await page.fill('input[name="user"]', 'c1');
      await page.fill('input[name="pin"]', PINS.cashier);
      await page.click('form.sign-in button[type="submit"]');
      const row = `.rc-delivery[data-delivery="${deliveryId}"]`;
      await page.waitForSelector(row);
      expect(await page.textContent(row)).toContain('S1');
      expect(await page.textContent(row)).toContain('0/3');
      await shots(page, 'transfer-deliveries', receivingLang);

      await page.click(row);
      await page.waitForSelector('.rc-delivery-screen[data-state="open"] .rc-counts');
      for (const u of moved) await wedgeScan(page, u);
      await page.waitForFunction(
        () => document.querySelector('.rc-count[data-count="received"] .rc-count-n')?.textContent === '3',
      );
      expect(await page.getAttribute('.rc-banner', 'data-ok')).toBe('true');
      await shots(page, 'transfer-checked-in', receivingLang);
      await page.click('.rc-close-open');
      await page.waitForSelector('form.rc-close');
      await page.click('form.rc-close button.rc-primary');
      await page.waitForSelector('.rc-delivery-screen[data-state="closed"]');
      await shots(page, 'transfer-closed', receivingLang);

      const stockAt = async (storeId: string, unit: string) => {
        const t = stack.store(storeId).terminal;
        const a = await t.call<{ state: string }>('GET', `/api/v1/stock/units/${unit}`, undefined, manager);
        return a.body.status === 'ok' ? a.body.data.state : JSON.stringify(a.body);
      };
      expect(await stockAt('S1', moved[0]!)).toBe('transferred');

      // S1's till stops a transferred unit with its reason; S2's sells it.
      const atS1 = await cashierPage('S1');
      const stopped = await scanLine(atS1, moved[0]!);
      expect(stopped.state).toBe('stopped');
      expect(stopped.text).toContain('Shipped out of this store');
      await shots(atS1, 'transfer-s1-till-stopped', checkoutLang);
      const atS2 = await cashierPage('S2');
      const sellable = await scanLine(atS2, moved[0]!);
      expect(sellable.state, sellable.text).toBe('ok');
      await atS2.click('button.co-complete');
      await atS2.waitForSelector('.co-receipt');
      await stack.settle();
      const receipts = (await stack.upstream.deliveries.log.list({ storeId: 'S2' })).notes
        .filter((n) => n.deliveryId === deliveryId)
        .flatMap((n) => n.receipts);
      expect(receipts).toEqual([expect.objectContaining({ outcome: 'complete', acceptedUnits: 3 })]);
    });
  },
);
