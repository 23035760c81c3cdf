import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DELIVERY_ID } from '../../terminal/demo/demo-delivery.js';
import { type RunningDemo, startDemo } from '../../terminal/demo/start-demo.js';
import type { ReceivingDemoLabel } from '../../terminal/http/wire-types.js';
import { silentLogger } from '../../terminal/logger.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { axeViolations } from './axe.js';
import { type Browser, CHROMIUM, launchBrowser, screenshot } from './browser.js';

const DOCS_SHOTS = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');

/**
 * The receiving clerk's page on a handheld (360×640 portrait) against the `npm start` stack: open
 * the demo delivery, scan a pallet, a case, a loose unit, the foreign case and the recalled unit
 * through the keyboard-wedge path (nothing focused), put the recalled unit aside, close partial with
 * a reason. Every state is photographed in English and Chinese.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))('receiving page on a handheld (Chromium)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;
  let labels: ReceivingDemoLabel[];
  const label = (kind: ReceivingDemoLabel['kind'], i = 0) => labels.filter((l) => l.kind === kind)[i]!.data;

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-e2e-receiving-');
    demo = await startDemo({ logger: silentLogger(), dataDir: tmp.dir, port: 0, host: '127.0.0.1' });
    labels = demo.receivingLabels;
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
    for (const [lang, button] of [
      ['zh-CN', '中文'],
      ['en', 'EN'],
    ] as const) {
      await page.click(`.rc-lang button[lang="${lang}"]`);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
      expect(await page.textContent(`.rc-lang button[lang="${lang}"]`)).toBe(button);
      const path = await screenshot(page, `receiving-${state}-${lang}`);
      mkdirSync(DOCS_SHOTS, { recursive: true });
      copyFileSync(path, join(DOCS_SHOTS, `receiving-${state}-${lang}.png`));
    }
  }
  const count = async (name: string) =>
    Number(await page.textContent(`.rc-count[data-count="${name}"] .rc-count-n`));
  const counts = async () => ({
    expected: await count('expected'),
    received: await count('received'),
    missing: await count('missing'),
    extra: await count('extra'),
  });
  const sounds = async () => ({
    ok: Number((await page.getAttribute('.rc-page', 'data-sounds-ok')) ?? 0),
    problem: Number((await page.getAttribute('.rc-page', 'data-sounds-problem')) ?? 0),
  });

  /**
   * A handheld's scanner: keys typed fast into the page with no field focused (nothing at all, or
   * the button just tapped: its Enter must not press it again), then Enter.
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
    // Every answer plays one sound: wait for it.
    await page.waitForFunction((n) => {
      const root = document.querySelector<HTMLElement>('.rc-page')!;
      return Number(root.dataset.soundsOk ?? 0) + Number(root.dataset.soundsProblem ?? 0) > n;
    }, before.ok + before.problem);
  }

  it('receives the demo delivery end to end: pallet, case, unit, foreign case, recalled unit, put aside, close partial', async () => {
    await page.goto(`${demo.terminal.url}/receiving`);
    await page.waitForSelector('form.sign-in');
    await shots('sign-in');
    expect(await axeViolations(page)).toEqual([]);
    const clerk = demo.users.find((u) => u.role === 'cashier')!;
    await page.fill('input[name="user"]', clerk.id);
    await page.fill('input[name="pin"]', clerk.pin);
    await page.click('form.sign-in button[type="submit"]');
    await page.waitForSelector(`.rc-delivery[data-delivery="${DEMO_DELIVERY_ID}"]`);
    expect(await page.textContent('.rc-delivery')).toContain('0/15');
    await shots('deliveries');

    await page.click(`.rc-delivery[data-delivery="${DEMO_DELIVERY_ID}"]`);
    await page.waitForSelector('.rc-delivery-screen[data-state="open"] .rc-counts');
    expect(await counts()).toEqual({ expected: 15, received: 0, missing: 15, extra: 0 });
    await shots('opened');
    // The demo's labels, for a newcomer without a scanner: tap one to scan it.
    await page.click('details.rc-demo summary');
    expect(await page.locator('details.rc-demo button').count()).toBe(labels.length);
    await shots('demo-labels');
    await page.click('details.rc-demo summary');

    await wedgeScan(label('pallet'));
    expect(await page.getAttribute('.rc-banner', 'data-ok')).toBe('true');
    expect(await page.textContent('.rc-banner')).toContain('Pallet checked in: 6 units');
    expect(await counts()).toEqual({ expected: 15, received: 6, missing: 9, extra: 0 });
    await shots('pallet');

    await wedgeScan(label('case', 2));
    expect(await page.textContent('.rc-banner')).toContain('Case checked in: 3 units');
    expect(await counts()).toEqual({ expected: 15, received: 9, missing: 6, extra: 0 });
    await shots('case');

    await wedgeScan(label('unit'));
    expect(await page.textContent('.rc-banner')).toMatch(/^Unit checked in …/);
    expect(await counts()).toEqual({ expected: 15, received: 10, missing: 5, extra: 0 });
    expect(await sounds()).toEqual({ ok: 3, problem: 0 });
    await shots('unit');

    // A second handheld receives the other loose unit: the page follows over the WebSocket.
    const other = await fetch(`${demo.terminal.url}/api/v1/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: clerk.id, pin: clerk.pin }),
    });
    const { token } = ((await other.json()) as { data: { token: string } }).data;
    const scanned = await fetch(`${demo.terminal.url}/api/v1/receiving/deliveries/${DEMO_DELIVERY_ID}/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ data: label('unit', 1) }),
    });
    expect(scanned.status).toBe(200);
    await page.waitForFunction(
      () => document.querySelector('.rc-count[data-count="received"] .rc-count-n')?.textContent === '11',
    );
    expect(await counts()).toEqual({ expected: 15, received: 11, missing: 4, extra: 0 });

    await wedgeScan(label('foreign_case'));
    expect(await page.getAttribute('.rc-banner', 'data-ok')).toBe('false');
    expect(await page.textContent('.rc-banner')).toContain('Not on this delivery note');
    expect(await counts()).toEqual({ expected: 15, received: 11, missing: 4, extra: 1 });
    expect(await sounds()).toEqual({ ok: 3, problem: 1 });
    await shots('foreign');

    await wedgeScan(label('recalled_unit'));
    expect(await page.getAttribute('.rc-banner', 'data-ok')).toBe('false');
    expect(await page.textContent('.rc-banner')).toContain('Recalled: put it aside');
    expect(await counts()).toEqual({ expected: 15, received: 12, missing: 3, extra: 1 });
    expect(await sounds()).toEqual({ ok: 3, problem: 2 });
    const lines = page.locator('.rc-exception');
    expect(await lines.count()).toBe(2);
    expect(await lines.nth(0).getAttribute('data-reasons')).toBe('recalled');
    expect(await lines.nth(0).textContent()).toContain('Recalled');
    expect(await lines.nth(1).getAttribute('data-reasons')).toBe('foreign');
    await shots('recalled');
    expect(await axeViolations(page)).toEqual([]);

    // Put the recalled unit aside from its exception line (one tap, reason "recalled").
    await page.click('.rc-exception[data-reasons="recalled"] .rc-aside-line');
    await page.waitForSelector('.rc-exception[data-reasons="recalled"][data-put-aside="true"]');
    expect(await counts()).toEqual({ expected: 15, received: 11, missing: 3, extra: 1 });
    expect(await page.textContent('[data-count="putAside"]')).toContain('1 put aside');
    expect(await sounds()).toEqual({ ok: 4, problem: 2 });
    await shots('put-aside');

    // Open case 2-2 (its units will count one by one), then put a damaged unit aside by scanning it.
    await page.click('.rc-mode-open');
    expect(await page.textContent('.rc-mode-hint')).toContain('Scan the case or pallet to open');
    await wedgeScan(label('case', 3), 'button');
    expect(await page.textContent('.rc-banner')).toContain('Case opened: scan its units one by one');
    expect(await page.getAttribute('.rc-mode-open', 'aria-pressed')).toBe('false');
    expect(await page.locator('.rc-mode-hint').count()).toBe(0);
    await page.click('.rc-mode-aside');
    await page.click('.rc-reasons button[data-reason="damaged"]');
    await shots('aside-mode');
    await wedgeScan(label('unit', 2), 'button');
    expect(await page.textContent('.rc-banner')).toContain('Unit put aside');
    expect(await counts()).toEqual({ expected: 15, received: 10, missing: 3, extra: 1 });
    expect(await page.textContent('[data-count="putAside"]')).toContain('2 put aside');
    expect(await page.locator('.rc-exception').first().getAttribute('data-reasons')).toBe('damaged');
    expect(await page.locator('.rc-exception').count()).toBe(3);
    expect(await sounds()).toEqual({ ok: 6, problem: 2 });

    // A newcomer without a scanner taps a demo label: the same scan (pallet 1 again: harmless).
    await page.click('details.rc-demo summary');
    await page.click('details.rc-demo button[data-kind="pallet"] >> nth=0');
    await page.waitForFunction(
      () => document.querySelector('.rc-page')?.getAttribute('data-sounds-ok') === '7',
    );
    expect(await page.textContent('.rc-banner')).toContain('Already checked in: nothing changed');
    expect(await counts()).toEqual({ expected: 15, received: 10, missing: 3, extra: 1 });

    await page.click('.rc-close-open');
    await page.waitForSelector('form.rc-close');
    expect(await page.isDisabled('form.rc-close button[name="outcome-complete"]')).toBe(true);
    expect(await page.isDisabled('form.rc-close button.rc-primary')).toBe(true);
    await page.fill('textarea[name="close-reason"]', 'pallet 2: one case short');
    await shots('close');
    expect(await axeViolations(page)).toEqual([]);
    await page.click('form.rc-close button.rc-primary');
    await page.waitForSelector('.rc-delivery-screen[data-state="closed"]');
    expect(await page.textContent('.rc-banner')).toContain('Closed: partial');
    expect(await page.textContent('.rc-banner')).toContain('pallet 2: one case short');
    expect(await sounds()).toEqual({ ok: 8, problem: 2 });
    expect(await page.getAttribute('.rc-page', 'data-audio')).toBe('web-audio');
    await shots('closed');

    // The receipt is in the ledger, and the closed note is what the page shows.
    const note = demo.terminal.receiving.store.noteByDeliveryId(DEMO_DELIVERY_ID)!;
    expect(note).toMatchObject({ state: 'closed', outcome: 'partial', reason: 'pallet 2: one case short' });
    expect(demo.terminal.ledger.record(note.receiptId!)).toMatchObject({
      type: 'receipt',
      payload: { deliveryId: DEMO_DELIVERY_ID, outcome: 'partial', expectedUnits: 15 },
    });
  });
});
