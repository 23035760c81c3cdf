import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../../terminal/demo/start-demo.js';
import { silentLogger } from '../../terminal/logger.js';
import { DEMO_DELIVERY_UNITS } from '../../terminal/registry/demo.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { axeViolations } from './axe.js';
import { type Browser, CHROMIUM, launchBrowser, screenshot } from './browser.js';
import { apiAs, receiveDemoDelivery, signIn, stockRows, total } from './stock-fixture.js';

const DOCS_SHOTS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const U = DEMO_DELIVERY_UNITS;

/**
 * The stock keeper's page on a handheld (360×640 portrait) against the `npm start` stack, with the
 * demo delivery received first through the API (15 units on hand). A cashier counts the whole
 * store by wedge scans (a pallet label, a case label, units; one unit left unscanned, one unit
 * never received here, the recalled unit), closes the count, is refused as an approver, and a
 * manager accepts the differences with their PIN on the same handheld. The cashier cannot ship out
 * (page and API); a manager destroys one unit, removing a mistaken scan first. Stock is read back
 * after each step. Every state is photographed in Chinese and English.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))('stock page on a handheld (Chromium)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;
  let extraUnit: string;
  /** A cashier's token for the API reads and refusals (sign-ins are rate limited). */
  let reader: string;
  const label = (kind: string, i = 0) => demo.receivingLabels.filter((l) => l.kind === kind)[i]!.data;

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-e2e-stock-');
    demo = await startDemo({ logger: silentLogger(), dataDir: tmp.dir, port: 0, host: '127.0.0.1' });
    reader = await signIn(demo, 'cashier');
    await receiveDemoDelivery(demo, reader);
    // A genuine registered unit this store never received: found on the shelf, it is "extra".
    extraUnit = demo.samples.find((s) => s.expect === 'genuine')!.data;
    browser = await launchBrowser({ width: 360, height: 640 });
    page = browser.page;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    tmp?.cleanup();
  });

  /** Screenshots of the current state in both languages (English left selected). */
  async function shots(state: string): Promise<void> {
    for (const lang of ['zh-CN', 'en'] as const) {
      await page.click(`.rc-lang button[lang="${lang}"]`);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
      const path = await screenshot(page, `stock-${state}-${lang}`);
      mkdirSync(DOCS_SHOTS, { recursive: true });
      copyFileSync(path, join(DOCS_SHOTS, `stock-${state}-${lang}.png`));
    }
  }
  const count = async (name: string) =>
    Number(await page.textContent(`.rc-count[data-count="${name}"] .rc-count-n`));
  const counts = async () => ({
    scanned: await count('scanned'),
    expected: await count('expected'),
    missing: await count('missing'),
    extra: await count('extra'),
    bad: await count('bad'),
  });
  const sounds = async () => ({
    ok: Number((await page.getAttribute('.rc-page', 'data-sounds-ok')) ?? 0),
    problem: Number((await page.getAttribute('.rc-page', 'data-sounds-problem')) ?? 0),
  });
  const waitSound = async (before: { ok: number; problem: number }) =>
    page.waitForFunction((n) => {
      const root = document.querySelector<HTMLElement>('.rc-page')!;
      return Number(root.dataset.soundsOk ?? 0) + Number(root.dataset.soundsProblem ?? 0) > n;
    }, before.ok + before.problem);
  /** The page is idle: every scan answered and the live report read after it. */
  const settled = () => page.waitForSelector('[data-busy="false"]');

  /**
   * A handheld's scanner: keys typed fast with no field focused (nothing at all, or the button just
   * tapped: its Enter must not press it again), then Enter; waits for the sound.
   */
  async function wedgeScan(data: string, focused: 'nothing' | 'button' = 'nothing'): Promise<void> {
    const before = await sounds();
    if (focused === 'nothing')
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe(
      focused === 'nothing' ? 'BODY' : 'BUTTON',
    );
    await page.keyboard.type(data, { delay: 2 });
    await page.keyboard.press('Enter');
    await waitSound(before);
    await settled();
  }
  async function signInPage(role: 'cashier' | 'manager'): Promise<void> {
    const user = demo.users.find((u) => u.role === role)!;
    await page.fill('input[name="user"]', user.id);
    await page.fill('input[name="pin"]', user.pin);
    await page.click('form.sign-in button[type="submit"]');
    await page.waitForSelector(`.st-page[data-role="${role}"] .st-tabs`);
  }

  it('counts the store as a cashier, a manager accepts the differences by PIN, then destroys one unit', async () => {
    await page.goto(`${demo.terminal.url}/stock`);
    await page.waitForSelector('form.sign-in');
    await shots('sign-in');
    expect(await axeViolations(page)).toEqual([]);
    await signInPage('cashier');
    await page.waitForSelector('.st-list');
    expect(await page.locator('.st-session').count()).toBe(0);
    await shots('list');

    // A count of chosen products lists the products on hand (the demo delivery: 15 units).
    await page.click('.st-new-chosen');
    await page.waitForSelector('.st-product');
    const onHand = await page.$$eval('.st-product [data-on-hand]', (els) =>
      els.map((e) => Number(e.getAttribute('data-on-hand'))),
    );
    expect(onHand.reduce((a, b) => a + b, 0)).toBe(15);
    expect(await page.isDisabled('form.st-scope button.rc-primary')).toBe(true);
    await page.click('.st-product input >> nth=0');
    expect(await page.textContent('form.st-scope button.rc-primary')).toContain('Start counting (1 chosen)');
    await shots('scope');
    await page.click('.st-new-chosen');
    expect(await page.locator('form.st-scope').count()).toBe(0);

    // Whole-store count: 15 on hand, nothing scanned yet.
    await page.click('.st-new-all');
    await page.waitForSelector('.st-stocktake[data-state="open"]');
    await settled();
    expect(await counts()).toEqual({ scanned: 0, expected: 15, missing: 15, extra: 0, bad: 0 });

    await wedgeScan(label('pallet', 0));
    expect(await page.getAttribute('.rc-banner', 'data-ok')).toBe('true');
    expect(await page.textContent('.rc-banner')).toContain('Pallet counted (6 units on its label)');
    await wedgeScan(label('case', 2)); // case 2-1: U6–U8
    expect(await page.textContent('.rc-banner')).toContain('Case counted (3 units on its label)');
    // Case 2-2 is open on the shelf: two of its three units are there (U11 is missing).
    for (const u of [U[9]!, U[10]!, U[12]!, U[13]!]) await wedgeScan(u);
    expect(await sounds()).toEqual({ ok: 6, problem: 0 });
    expect(await counts()).toEqual({ scanned: 13, expected: 15, missing: 2, extra: 0, bad: 0 });
    await shots('counting');

    await wedgeScan(U[14]!); // the recalled batch: on hand, but bad
    expect(await page.getAttribute('.rc-banner', 'data-ok')).toBe('false');
    expect(await page.textContent('.rc-banner')).toContain('Recalled: take it off the shelf');
    await wedgeScan(extraUnit);
    expect(await page.textContent('.rc-banner')).toContain('Extra: not in stock here');
    expect(await page.textContent('.rc-banner li[data-state]')).toBe('State: never received here');
    await wedgeScan(U[9]!);
    expect(await page.textContent('.rc-banner')).toContain('Scanned already: nothing changed');
    // A second scan of a unit is harmless: the ok beep, as on /receiving.
    expect(await sounds()).toEqual({ ok: 7, problem: 2 });
    expect(await counts()).toEqual({ scanned: 15, expected: 15, missing: 1, extra: 1, bad: 1 });
    const lines = page.locator('.st-line');
    expect(await lines.count()).toBe(3);
    expect(await page.getAttribute('.st-line[data-kind="bad"]', 'data-why')).toBe('recalled');
    expect(await page.getAttribute('.st-line[data-kind="extra"]', 'data-why')).toBe('notReceived');
    expect(await page.getAttribute('.st-line[data-kind="missing"]', 'data-key')).toBe(U[11]);
    await shots('differences');
    expect(await axeViolations(page)).toEqual([]);

    await page.click('.st-close');
    await page.click('form.st-close-sheet button.rc-primary');
    await page.waitForSelector('.st-stocktake[data-state="closed"]');
    await settled();
    expect(await counts()).toEqual({ scanned: 15, expected: 15, missing: 1, extra: 1, bad: 1 });
    expect(await page.textContent('.rc-banner')).toContain('Stocktake closed');
    // A scan after the close changes nothing, and says so with the buzz.
    await wedgeScan(U[11]!);
    expect(await sounds()).toEqual({ ok: 8, problem: 3 });
    expect(await page.textContent('.rc-banner')).toContain('Closed: that scan was not counted');
    expect(await counts()).toEqual({ scanned: 15, expected: 15, missing: 1, extra: 1, bad: 1 });

    // The differences as CSV: the missing and the extra unit, and the bad one.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.st-csv')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toBe('code,product,difference,detail');
    expect(csv).toContain(`${U[11]},`);
    expect(csv).toMatch(/,missing,/);
    expect(csv).toMatch(/,extra,not received here/);
    expect(csv).toMatch(/,bad,recalled/);

    // The cashier's own token cannot accept (API), nor can the cashier approve with their own PIN.
    const cashierToken = reader;
    const id = (await page.getAttribute('.st-stocktake', 'data-session'))!;
    const refused = await apiAs(demo, cashierToken).post(`/api/v1/stocktakes/${id}/accept`, { reason: 'x' });
    expect(refused.status).toBe(403);
    await page.click('.st-accept');
    const cashier = demo.users.find((u) => u.role === 'cashier')!;
    await page.fill('input[name="approver"]', cashier.id);
    await page.fill('input[name="approver-pin"]', cashier.pin);
    await page.fill('.st-approval input[name="reason"]', 'annual count');
    await page.click('form.co-approval button[type="submit"]');
    await page.waitForFunction(() => (document.querySelector('.co-error')?.textContent ?? '') !== '');
    expect(await page.textContent('.co-error')).toContain('Approval refused: needs a manager user and PIN');
    expect(await page.getAttribute('.st-stocktake', 'data-state')).toBe('closed');
    expect(total(await stockRows(demo, reader), 'lost')).toBe(0);

    const manager = demo.users.find((u) => u.role === 'manager')!;
    await page.fill('input[name="approver"]', manager.id);
    await page.fill('input[name="approver-pin"]', manager.pin);
    await shots('approval');
    await page.click('form.co-approval button[type="submit"]');
    await page.waitForSelector('.st-stocktake[data-state="accepted"]');
    expect(await page.textContent('.rc-banner')).toContain('Differences accepted');
    expect(await page.textContent('.st-adjusted')).toContain(
      'Adjusted: 1 out, 1 in — annual count (manager)',
    );
    expect(await page.locator('.st-accept').count()).toBe(0);
    await shots('accepted');

    // Stock changed: the missing unit is lost, the extra one found; 15 on hand again.
    let rows = await stockRows(demo, reader);
    expect({
      lost: total(rows, 'lost'),
      foundIn: total(rows, 'foundIn'),
      onHand: total(rows, 'onHand'),
    }).toEqual({
      lost: 1,
      foundIn: 1,
      onHand: 15,
    });
    const unit = await apiAs(demo, cashierToken).get(`/api/v1/stock/units/${U[11]}`);
    expect((unit.body.data as { state: string }).state).toBe('lost');

    // Shipping out is the manager's: the cashier's tab says so, and the API refuses the cashier.
    await page.click('.st-tabs button[data-tab="ship"]');
    await page.waitForSelector('.st-locked');
    expect(await page.locator('.st-ship-form').count()).toBe(0);
    expect(await page.textContent('.st-locked')).toContain('Shipping out needs a manager');
    await shots('ship-locked');
    const shipRefused = await apiAs(demo, cashierToken).post('/api/v1/shipments', {
      kind: 'destruction',
      reason: 'expired',
    });
    expect(shipRefused.status).toBe(403);

    // A manager signs in on the handheld and destroys one expired unit.
    await page.click('.rc-signout');
    await page.waitForSelector('form.sign-in');
    await signInPage('manager');
    await page.click('.st-tabs button[data-tab="ship"]');
    await page.waitForSelector('form.st-ship-form');
    await page.click('.st-kinds button[data-kind="return_to_supplier"]');
    expect(await page.isDisabled('.st-open-shipment')).toBe(true); // needs a supplier id
    await page.click('.st-kinds button[data-kind="destruction"]');
    expect(await page.getAttribute('.rc-reasons button[data-reason="expired"]', 'aria-pressed')).toBe('true');
    await shots('ship-form');
    expect(await axeViolations(page)).toEqual([]);
    await page.click('.st-open-shipment');
    await page.waitForSelector('.st-shipment[data-state="open"]');

    await wedgeScan(U[13]!);
    expect(await page.textContent('.rc-banner')).toContain('Unit added (1)');
    await wedgeScan(U[12]!); // the wrong box
    await wedgeScan(U[11]!); // lost at the stocktake: not on hand, refused
    expect(await page.getAttribute('.rc-banner', 'data-ok')).toBe('false');
    expect(await page.textContent('.rc-banner')).toContain('Cannot ship: not in stock');
    expect(await page.textContent('.rc-banner li[data-state]')).toBe(
      'State: written off as lost at a stocktake',
    );
    expect(await count('units')).toBe(2);
    await shots('ship-scanning');
    const before = await sounds();
    await page.click(`.st-unit[data-key="${U[12]}"] .st-remove`);
    await waitSound(before);
    await settled();
    expect(await count('units')).toBe(1);
    expect(await page.locator('.st-unit').count()).toBe(1);
    expect(await page.getAttribute('.st-unit', 'data-key')).toBe(U[13]);
    // The same mistake undone by scanning: "remove a scan", then the box (the button keeps focus).
    await wedgeScan(U[12]!);
    expect(await count('units')).toBe(2);
    await page.click('.st-remove-mode');
    expect(await page.textContent('.rc-mode-hint')).toContain('Scan what to take out of this shipment');
    await wedgeScan(U[12]!, 'button');
    expect(await page.textContent('.rc-banner')).toContain('Unit removed (1)');
    expect(await page.getAttribute('.st-remove-mode', 'aria-pressed')).toBe('false');
    expect(await count('units')).toBe(1);

    await page.click('.st-ship-close');
    await page.click('form.st-ship-close-sheet button.rc-primary');
    await page.waitForSelector('.st-shipment[data-state="closed"]');
    expect(await page.textContent('.rc-banner')).toContain('Shipment closed');
    expect(await page.getAttribute('.rc-page', 'data-audio')).toBe('web-audio');
    await shots('ship-closed');
    await wedgeScan(U[10]!); // after the close: not shipped
    expect(await page.textContent('.rc-banner')).toContain('Closed: that scan was not counted');
    expect(await count('units')).toBe(1);
    expect(await axeViolations(page)).toEqual([]);

    rows = await stockRows(demo, reader);
    expect({ destroyed: total(rows, 'destroyed'), onHand: total(rows, 'onHand') }).toEqual({
      destroyed: 1,
      onHand: 14,
    });
    const destroyed = await apiAs(demo, cashierToken).get(`/api/v1/stock/units/${U[13]}`);
    expect((destroyed.body.data as { state: string }).state).toBe('destroyed');
    const mistaken = await apiAs(demo, cashierToken).get(`/api/v1/stock/units/${U[12]}`);
    expect((mistaken.body.data as { state: string }).state).toBe('on_hand');

    // The manager counts the demo product only (a cycle count) by its two pallet labels: the
    // pallets' units still on hand are found (U11, lost earlier, is not expected), the loose ones
    // are not on the shelf. Signed in as a manager, accepting needs only the reason.
    const product = U[0]!.slice(0, 7);
    const inScope = rows.find((r) => r.productKey === product)!.onHand;
    expect(inScope).toBeGreaterThan(11);
    await page.click('.st-tabs button[data-tab="stocktake"]');
    await page.waitForSelector('.st-list');
    expect(await page.locator('.st-session').count()).toBe(1);
    expect(await page.textContent('.st-session')).toContain('Whole store · accepted');
    await page.click('.st-new-chosen');
    await page.click(`.st-product input[value="${product}"]`);
    await page.click('form.st-scope button.rc-primary');
    await page.waitForSelector('.st-stocktake[data-state="open"]');
    await settled();
    expect(await page.textContent('.rc-title')).toContain('Products: 1');
    await wedgeScan(label('pallet', 0));
    await wedgeScan(label('pallet', 1));
    expect(await page.textContent('.rc-banner')).toContain('Pallet counted (6 units on its label)');
    expect(await counts()).toEqual({
      scanned: 11,
      expected: inScope,
      missing: inScope - 11,
      extra: 0,
      bad: 0,
    });
    await page.click('.st-close');
    await page.click('form.st-close-sheet button.rc-primary');
    await page.waitForSelector('.st-stocktake[data-state="closed"]');
    await page.click('.st-accept');
    expect(await page.locator('form.co-approval').count()).toBe(0);
    expect(await page.isDisabled('form.st-accept-sheet button.rc-primary')).toBe(true);
    await page.fill('textarea[name="accept-reason"]', 'cycle count');
    await shots('manager-accept');
    await page.click('form.st-accept-sheet button.rc-primary');
    await page.waitForSelector('.st-stocktake[data-state="accepted"]');
    expect(await page.textContent('.st-adjusted')).toContain(
      `Adjusted: ${inScope - 11} out, 0 in — cycle count (manager)`,
    );
    rows = await stockRows(demo, reader);
    expect({ lost: total(rows, 'lost'), onHand: total(rows, 'onHand') }).toEqual({
      lost: 1 + inScope - 11,
      onHand: 14 - (inScope - 11),
    });
  });
});
