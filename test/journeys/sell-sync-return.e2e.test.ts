/**
 * A unit's store day through the real cashier page (Chromium) on the two-store stack (two
 * terminal processes, reference upstream, mosquitto): sold at store S1, synced so S2 stops it,
 * returned at S1 (it sells again there at once), and after the next sync sold at S2, which S1
 * then shows as sold at S2. The kiosk verdict at both stores is read over HTTP between the steps.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, buildPages, CHROMIUM, launchBrowser, screenshot } from '../e2e/browser.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { describeRecord } from './lib/checks.js';
import { CODE_BY_NAME } from './lib/registry-fixture.js';
import { StoreDayStack } from './lib/stack.js';
import { PINS } from './lib/terminal-process.js';

const _ROOT = join(import.meta.dirname, '..', '..');
const unit = CODE_BY_NAME.get('a1')!;

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('chromium', CHROMIUM))(
  'sell → sync → return → resell, at the same store and the other, on the cashier page',
  () => {
    let tmp: ReturnType<typeof makeTempDir>;
    let stack: StoreDayStack;
    let browser: Browser;
    const pages = new Map<string, Page>();

    beforeAll(async () => {
      tmp = makeTempDir('vt-journey-e2e-');
      const staticDir = join(tmp.dir, 'ui');
      await buildPages(staticDir);
      stack = await StoreDayStack.start(join(tmp.dir, 'stack'), ['S1', 'S2'], { staticDir });
      browser = await launchBrowser({ width: 1280, height: 900 });
      for (const s of stack.stores) {
        const page = await browser.context.newPage();
        page.on('dialog', (dialog) => void dialog.accept());
        await page.goto(`${s.terminal.url}/checkout`);
        await page.click('button[lang="en"]');
        await page.fill('input[name="user"]', 'c1');
        await page.fill('input[name="pin"]', PINS.cashier);
        await page.click('form.sign-in button[type="submit"]');
        await page.waitForSelector('input[name="scan"]');
        pages.set(s.storeId, page);
      }
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.close();
      tmp?.cleanup();
    });

    const page = (store: string) => pages.get(store)!;
    const kiosk = async (store: string) => {
      const answer = await stack.store(store).terminal.verify(unit.scan);
      if (answer.body.status !== 'ok') throw new Error(JSON.stringify(answer.body));
      const { verdict, reason, sold } = answer.body.data;
      return { verdict, reason, soldAt: sold?.storeId };
    };

    /** Scans into the sale basket; resolves with the new line's state and text once it is checked. */
    async function scan(store: string, data: string) {
      const p = page(store);
      const before = await p.locator('.co-line').count();
      await p.fill('input[name="scan"]', data);
      await p.press('input[name="scan"]', 'Enter');
      await p.waitForFunction((n) => {
        const lines = document.querySelectorAll('.co-line');
        return lines.length > n && lines[lines.length - 1]!.getAttribute('data-state') !== 'pending';
      }, before);
      const line = p.locator('.co-line').last();
      return { state: await line.getAttribute('data-state'), text: (await line.textContent()) ?? '' };
    }

    async function sell(store: string): Promise<string> {
      const p = page(store);
      await p.click('button.co-complete');
      await p.waitForSelector('.co-receipt');
      const saleId = (await p.textContent('.co-sale-id'))!.trim();
      expect(await p.textContent('.co-receipt')).toContain(`…${unit.scan.slice(-6)}`);
      await p.click('button.co-next');
      await p.waitForSelector('.co-empty');
      return saleId;
    }

    async function returnUnit(store: string): Promise<void> {
      const p = page(store);
      await p.click('.co-tabs button:nth-child(2)');
      await p.fill('input[name="scan"]', unit.scan);
      await p.press('input[name="scan"]', 'Enter');
      await p.fill('input[name="approver"]', 'm1');
      await p.fill('input[name="approver-pin"]', PINS.manager);
      await p.click('form.co-approval button[type="submit"]');
      await p.waitForFunction(() =>
        document.querySelector('.co-done')?.textContent?.includes('re-activated'),
      );
      await p.click('.co-tabs button:nth-child(1)');
      await p.waitForSelector('input[name="scan"]');
    }

    it('a unit sold, synced, returned and sold again at S1, then sold at S2 once synced', async () => {
      expect(await kiosk('S1')).toEqual({ verdict: 'genuine', reason: 'active' });
      expect((await scan('S1', unit.scan)).state).toBe('ok');
      await sell('S1');
      await stack.settle();
      expect(await kiosk('S2')).toEqual({ verdict: 'already_sold', reason: 'sold_upstream', soldAt: 'S1' });
      const stopped = await scan('S2', unit.scan);
      expect(stopped.state).toBe('stopped');
      expect(stopped.text).toContain('Already sold');
      await screenshot(page('S2'), 'journey-sold-at-other-store');
      await page('S2').click('button.co-void');
      await page('S2').waitForSelector('.co-empty');

      // Returned at the selling store: sellable there at once, though S1's registry says sold.
      await returnUnit('S1');
      expect(await kiosk('S1')).toEqual({ verdict: 'genuine', reason: 'active' });
      const again = await scan('S1', unit.scan);
      expect(again.state, again.text).toBe('ok');
      await sell('S1');
      expect(await kiosk('S1')).toEqual({
        verdict: 'already_sold',
        reason: 'written_off_here',
        soldAt: 'S1',
      });

      // Returned again; after the next sync the other store sells it.
      await returnUnit('S1');
      await stack.settle();
      expect(await kiosk('S2')).toEqual({ verdict: 'genuine', reason: 'active' });
      const atOther = await scan('S2', unit.scan);
      expect(atOther.state, atOther.text).toBe('ok');
      await sell('S2');
      await screenshot(page('S2'), 'journey-resold-at-other-store');
      await stack.settle();
      expect(await kiosk('S1')).toEqual({ verdict: 'already_sold', reason: 'sold_upstream', soldAt: 'S2' });

      // Every record once at upstream; no clone alert (no sale of a sold unit went through).
      const ledger = stack.store('S1').terminal.records().map(describeRecord);
      expect(ledger).toEqual([
        `sale:${unit.key}`,
        `write_off:${unit.key}`,
        `return:${unit.key}`,
        `sale:${unit.key}`,
        `write_off:${unit.key}`,
        `return:${unit.key}`,
      ]);
      for (const s of stack.stores) {
        const local = s.terminal.records().map((r) => r.seq);
        expect(stack.upstream.store.sequences(s.storeId, s.terminal.terminalId)).toEqual(local);
      }
      // S2's refused scan was a basket check, not a sale: nothing in its ledger but its own sale.
      expect(stack.store('S2').terminal.records().map(describeRecord)).toEqual([
        `sale:${unit.key}`,
        `write_off:${unit.key}`,
      ]);
      expect(stack.upstream.store.alerts()).toEqual([]);
    });
  },
);
