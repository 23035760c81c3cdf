import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkDemoUpstream } from '../../cli/demo-link.js';
import { verdictReasonMessages } from '../../kiosk-ui/src/manager/messages.js';
import { type RunningDemo, startDemo } from '../../terminal/demo/start-demo.js';
import { silentLogger } from '../../terminal/logger.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { axeViolations } from './axe.js';
import { type Browser, CHROMIUM, launchBrowser, screenshot } from './browser.js';

/**
 * The store day as `npm start` runs it (demo terminal + embedded broker + reference upstream, linked
 * by linkDemoUpstream) seen through the pages in Chromium: a sale at the lane, its records acked by
 * upstream, the manager's tiles, charts and event log, and every page checked with axe-core.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))('pages on the npm start stack (Chromium)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let demo: RunningDemo;
  let upstream: Awaited<ReturnType<typeof linkDemoUpstream>>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-e2e-demo-pages-');
    demo = await startDemo({ logger: silentLogger(), dataDir: tmp.dir, port: 0, host: '127.0.0.1' });
    upstream = await linkDemoUpstream(demo, silentLogger());
    browser = await launchBrowser({ width: 1280, height: 1000 });
    page = browser.page;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await upstream?.stop();
    await demo?.stop();
    tmp?.cleanup();
  });

  const user = (role: 'cashier' | 'manager') => demo.users.find((u) => u.role === role)!;

  async function signIn(role: 'cashier' | 'manager'): Promise<void> {
    await page.fill('input[name="user"]', user(role).id);
    await page.fill('input[name="pin"]', user(role).pin);
    await page.click('form.sign-in button[type="submit"]');
  }

  it('kiosk and checkout pages have no critical accessibility violations', async () => {
    await page.goto(`${demo.terminal.url}/`);
    await page.waitForSelector('.attract');
    expect(await axeViolations(page)).toEqual([]);
    await page.goto(`${demo.terminal.url}/checkout`);
    await page.waitForSelector('form.sign-in');
    expect(await axeViolations(page)).toEqual([]);
    // A cashier page refuses a kiosk-level role in the page's words; the checkout itself, signed in.
    await signIn('cashier');
    await page.waitForSelector('input[name="scan"]');
    expect(await axeViolations(page)).toEqual([]);
    await page.click('.co-signout');
    await page.waitForSelector('form.sign-in');
  });

  it('a sale at the lane is acked by upstream: the clock tile shows the measured skew, not "not yet compared"', async () => {
    // Sell one genuine unit through the checkout page (scan field, Enter, complete).
    await signIn('cashier');
    await page.waitForSelector('input[name="scan"]');
    const genuine = demo.samples.find((s) => s.expect === 'genuine')!;
    await page.fill('input[name="scan"]', genuine.data);
    await page.press('input[name="scan"]', 'Enter');
    await page.waitForSelector('.co-line[data-state="ok"]');
    await page.click('button.co-complete');
    await page.waitForSelector('.co-receipt');
    await page.click('.co-signout');

    await page.goto(`${demo.terminal.url}/manager`);
    await page.click('button[lang="en"]');
    await signIn('manager');
    await page.waitForSelector('.mg-dashboard');
    // The sale and its write-off travel upstream; the live ack carries upstream's clock.
    await page.waitForSelector('.mg-tile[data-component="clock"] .mg-reason[data-code="clock.in_step"]', {
      timeout: 20_000,
    });
    expect(await page.textContent('.mg-tile[data-component="clock"] .mg-reason')).toMatch(
      /^Clock in step with upstream \(-?\d+ s\)$/,
    );
    expect(demo.terminal.health.get('clock')?.details).toMatchObject({ skewMs: expect.any(Number) });
    expect(await axeViolations(page)).toEqual([]);
  });

  it('charts: hour labels never overlap and sales per hour count in whole numbers', async () => {
    // Re-read the charts with the sale in them.
    await page.reload();
    await page.waitForSelector('.mg-charts .mg-plot[data-x-ticks]');
    const plots = await page.$$eval('.mg-charts .mg-plot', (els) =>
      els.map((el) => {
        const h = el as HTMLElement;
        const ctx = document.createElement('canvas').getContext('2d')!;
        ctx.font = h.dataset.axisFont ?? '';
        const x = JSON.parse(h.dataset.xTicks ?? '[]') as { at: number; label: string }[];
        return {
          x: x.map((t) => ({ ...t, width: ctx.measureText(t.label).width })),
          y: JSON.parse(h.dataset.yTicks ?? '[]') as number[],
        };
      }),
    );
    expect(plots).toHaveLength(2);
    for (const plot of plots) {
      expect(plot.x.length).toBeGreaterThan(2);
      // Centred labels: neighbours are apart by more than half of each label's width.
      for (let i = 1; i < plot.x.length; i++) {
        const a = plot.x[i - 1]!;
        const b = plot.x[i]!;
        expect(b.at - a.at, `${a.label} / ${b.label}`).toBeGreaterThan((a.width + b.width) / 2 + 4);
      }
      expect(plot.y.every((v) => Number.isInteger(v))).toBe(true);
    }
    // The sales chart has the sale: its axis reaches 1 in whole steps (was 0, 0.25, 0.5, …).
    expect(plots[1]!.y).toContain(1);
    await screenshot(page, 'manager-charts-en');
  });

  it('the zh-CN event log words every reason (no raw codes); the export day has a label', async () => {
    const unknown = demo.samples.find((s) => s.expect === 'unknown')!;
    const malformed = demo.samples.find((s) => s.expect === 'malformed')!;
    demo.scanner.inject(unknown.data);
    demo.scanner.inject(malformed.data);
    await page.click('button[lang="zh-CN"]');
    const zh = verdictReasonMessages['zh-CN'];
    await page.waitForFunction(
      (words) => words.every((w) => document.querySelector('.mg-events')?.textContent?.includes(w)),
      [zh.not_in_registry],
      { timeout: 15_000 },
    );
    const log = (await page.textContent('.mg-events')) ?? '';
    // Machine codes look like `not_in_registry`, `bad_syntax`, `written_off_here`: none is shown.
    expect(log.match(/\b[a-z]+(?:_[a-z]+)+\b/g)).toBeNull();
    expect(log).toContain('自助终端扫码枪');
    expect(log).toContain('收银台');
    expect(log).toContain('（无法识别）');
    expect(log).not.toContain('(unreadable)');
    expect(await page.getByLabel('导出日期').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await axeViolations(page)).toEqual([]);
    const path = await screenshot(page, 'manager-zh-CN');
    await page.screenshot({ path: path.replace('.png', '-full.png'), fullPage: true });
  });

  it('in Chinese, a too-weak role is named in Chinese (需要经理权限, not 需要manager权限)', async () => {
    await page.click('.mg-header button:not([lang])');
    await page.waitForSelector('form.sign-in');
    await signIn('cashier');
    await page.waitForSelector('.sign-in-error:not(:empty)');
    expect(await page.textContent('.sign-in-error')).toBe('需要经理权限');
  });
});
