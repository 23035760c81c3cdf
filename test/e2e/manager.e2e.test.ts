import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASON_CODES, REASON_PARAMS, type ReasonCode } from '../../terminal/health/reason-codes.js';
import { type MosquittoBroker, startMosquitto } from '../helpers/mosquitto.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { ARTIFACTS, type Browser, buildPages, CHROMIUM, launchBrowser, screenshot } from './browser.js';
import { MANAGER, type ManagerRig, startManagerRig } from './manager-fixture.js';

const _ROOT = join(import.meta.dirname, '..', '..');
/** The promise: a tile follows a change within 2 s (status poll 200 ms + WebSocket push). */
const TILE_MS = 2_000;
/** Lists (alerts, receipts) follow a health push by one overview re-read: well inside the 10 s poll. */
const PUSH_MS = 5_000;

const tile = (component: string, level: string) =>
  `.mg-tile[data-component="${component}"][data-level="${level}"]`;

/**
 * The manager page in headless Chromium against a terminal built by startTerminal from config:
 * a fake network printer on loopback TCP, a simulated scanner, a spawned mosquitto as upstream broker.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM) || !hasSystemTool('mosquitto'))(
  'manager page (Chromium)',
  () => {
    let tmp: ReturnType<typeof makeTempDir>;
    let broker: MosquittoBroker;
    let rig: ManagerRig;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      tmp = makeTempDir('veriterm-e2e-manager-');
      const staticDir = join(tmp.dir, 'ui');
      await buildPages(staticDir);
      broker = await startMosquitto({ dir: tmp.dir, allowAnonymous: true });
      rig = await startManagerRig({ dir: join(tmp.dir, 'terminal'), staticDir, brokerUrl: broker.url });
      browser = await launchBrowser({ width: 1280, height: 1000 });
      page = browser.page;
      await page.goto(`${rig.terminal.url}/manager`);
      await page.click('button[lang="en"]');
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await rig?.stop();
      await broker?.stop();
      tmp?.cleanup();
    });

    /** Submits the form and returns the error shown, or 'signed in'. */
    async function signIn(user: string, pin: string): Promise<string> {
      await page.fill('input[name="user"]', user);
      await page.fill('input[name="pin"]', pin);
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/sign-in')),
        page.click('form.sign-in button[type="submit"]'),
      ]);
      const shown = await page.waitForFunction(() =>
        document.querySelector('.mg-dashboard, .mg-loading')
          ? 'signed in'
          : document.querySelector('.sign-in-error')?.textContent || false,
      );
      const text = (await shown.jsonValue()) as string;
      return text;
    }

    it('refuses a wrong password and throttles repeated failures', async () => {
      expect(await signIn('boss', '0000')).toBe('Wrong user or PIN');
      expect(await signIn('boss', '1111')).toBe('Wrong user or PIN');
      expect(await signIn('boss', '2222')).toBe('Wrong user or PIN');
      // Three failures for this user: the fourth is refused even before the PIN is checked.
      expect(await signIn('boss', '3333')).toBe('Too many attempts; try again later');
      await screenshot(page, 'manager-sign-in-throttled');
      // The manager API itself refuses callers without the manager role (anonymous is a kiosk).
      const anonymous = await fetch(`${rig.terminal.url}/api/v1/manager/overview`);
      expect(anonymous.status).toBe(403);
      expect(await signIn(MANAGER.user, MANAGER.pin)).toBe('signed in');
      await page.waitForSelector('.mg-dashboard');
    });

    it('turns the printer tile red on paper out and back when paper is loaded', async () => {
      await page.waitForSelector(tile('printer:receipt', 'ok'), { timeout: 10_000 });
      rig.printer.setState({ paperOut: true });
      await page.waitForSelector(tile('printer:receipt', 'fail'), { timeout: TILE_MS });
      expect(await page.textContent('.mg-tile[data-component="printer:receipt"] .mg-reason')).toContain(
        'Paper out',
      );
      await screenshot(page, 'manager-paper-out');
      rig.printer.setState({ paperOut: false });
      await page.waitForSelector(tile('printer:receipt', 'ok'), { timeout: TILE_MS });
    });

    it('shows the printer reason, alerts, print jobs and the link in Chinese when the page is in zh-CN', async () => {
      const reason = '.mg-tile[data-component="printer:receipt"] .mg-reason';
      await page.click('button[lang="zh-CN"]');
      await page.waitForSelector(`${tile('printer:receipt', 'ok')} .mg-reason:text-is("就绪")`, {
        timeout: 10_000,
      });
      rig.printer.setState({ paperOut: true });
      await page.waitForSelector(tile('printer:receipt', 'fail'), { timeout: TILE_MS });
      // Translated on the page from the code; the server's English reason is not shown.
      expect(await page.textContent(reason)).toBe('缺纸');
      expect(await page.getAttribute(reason, 'data-code')).toBe('printer.paper_out');
      await page.waitForSelector('.mg-tile[data-component="printer:receipt"] h3:text("打印机receipt")');
      // A kiosk report and a receipt that waits for paper: the alert kind, the payload's field names
      // and verdict, and the job's kind and state are server ids, shown in words.
      rig.terminal.ledger.append('alert', {
        kind: 'suspicious_report',
        codeKey: 'zh-e2e-1',
        verdict: 'already_sold',
        note: '包装破损',
      });
      const job = rig.terminal.printQueue!.enqueue(Uint8Array.of(0x1b, 0x40), { kind: 'receipt' });
      const alert = '.mg-alerts li[data-kind="suspicious_report"]';
      await page.waitForSelector(`${alert} .mg-alert-kind:text-is("可疑商品举报")`, { timeout: PUSH_MS });
      await page.click(`${alert} summary`);
      expect(await page.textContent(`${alert} [data-field="verdict"]`)).toBe('查验结果已售出');
      expect(await page.textContent(`${alert} [data-field="note"] dd`)).toBe('包装破损');
      const jobRow = `.mg-receipts li[data-job="${job.id}"]`;
      await page.waitForSelector(`${jobRow}[data-state="pending"] .mg-job-state:text-is("排队中")`, {
        timeout: PUSH_MS,
      });
      expect(await page.textContent(`${jobRow} .mg-job-kind`)).toBe('小票');
      expect(await page.textContent('.mg-upstream dd')).toMatch(/^已连接 · 待上传\d+条$/);
      // The whole page: tiles, alerts, link, receipts and event log in Chinese.
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'manager-paper-out-zh-CN.png'), fullPage: true });
      rig.printer.setState({ paperOut: false });
      await page.waitForSelector(tile('printer:receipt', 'ok'), { timeout: TILE_MS });
      await page.waitForSelector(`${jobRow}[data-state="done"] .mg-job-state:text-is("已打印")`, {
        timeout: PUSH_MS,
      });
      // While the waiting receipt prints the tile may say "正在打印（1 张等待）"; once it is done, ready.
      await page.waitForSelector(`${tile('printer:receipt', 'ok')} .mg-reason:text-is("就绪")`, {
        timeout: TILE_MS,
      });
      await page.click('button[lang="en"]');
      await page.waitForSelector(`${tile('printer:receipt', 'ok')} .mg-reason:text-is("Ready")`);
    });

    it('shows an unplugged scanner', async () => {
      await page.waitForSelector(tile('scanner:kiosk-1', 'ok'));
      rig.scanner.unplug('USB cable pulled');
      await page.waitForSelector(tile('scanner:kiosk-1', 'fail'), { timeout: TILE_MS });
      expect(await page.textContent('.mg-tile[data-component="scanner:kiosk-1"] .mg-reason')).toContain(
        'USB cable pulled',
      );
      await screenshot(page, 'manager-scanner-unplugged');
      rig.scanner.replug();
      await page.waitForSelector(tile('scanner:kiosk-1', 'ok'), { timeout: TILE_MS });
    });

    it('turns the link tile amber when the broker stops, and the backlog grows', async () => {
      // The reasons below are read in English, whatever language an earlier test left the page in.
      await page.click('button[lang="en"]');
      await page.waitForSelector(tile('upstream', 'ok'), { timeout: 15_000 });
      // Upstream sees the same summary in the retained status document.
      const client = await mqtt.connectAsync(broker.url);
      type StatusItem = { component: string; code: ReasonCode; params?: object; reason: string };
      const status = new Promise<{ health: { level: string; items: StatusItem[] } }>((resolve) =>
        client.on('message', (_topic, payload) => resolve(JSON.parse(payload.toString()))),
      );
      await client.subscribeAsync('vt/S-DEMO/T-01/status', { qos: 1 });
      const doc = await status;
      await client.endAsync();
      expect(doc.health.items.map((i) => i.component)).toEqual(
        expect.arrayContaining(['printer:receipt', 'scanner:kiosk-1', 'registry', 'upstream', 'storage']),
      );
      // Each item carries its reason code and parameters next to the English reason.
      for (const item of doc.health.items) {
        expect(REASON_CODES).toContain(item.code);
        expect(Object.keys(item.params ?? {}).sort()).toEqual([...REASON_PARAMS[item.code]].sort());
        expect(item.reason).toEqual(expect.any(String));
      }
      expect(doc.health.items.find((i) => i.component === 'registry')).toMatchObject({
        code: 'registry.current',
        params: { version: expect.any(Number), hours: expect.any(Number) },
      });
      await broker.stop();
      await page.waitForSelector(tile('upstream', 'warn'), { timeout: 10_000 });
      const waiting = async () => {
        const text = (await page.textContent('.mg-tile[data-component="upstream"] .mg-reason')) ?? '';
        return Number(/(\d+) records waiting/.exec(text)?.[1] ?? Number.NaN);
      };
      const before = await waiting();
      expect(Number.isNaN(before)).toBe(false);
      for (let i = 0; i < 3; i++) {
        rig.terminal.ledger.append('alert', { kind: 'suspicious_report', codeKey: `test-${i}`, note: 'e2e' });
      }
      await page.waitForFunction(
        (n) => {
          const text =
            document.querySelector('.mg-tile[data-component="upstream"] .mg-reason')?.textContent ?? '';
          return Number(/(\d+) records waiting/.exec(text)?.[1] ?? 0) >= n + 3;
        },
        before,
        { timeout: 10_000 },
      );
      // The alerts list shows them with their details.
      await page.waitForSelector('.mg-alerts li[data-kind="suspicious_report"]');
      await screenshot(page, 'manager-link-down');
      await page.click('button[lang="zh-CN"]');
      await page.waitForSelector('.mg-tile[data-component="upstream"] h3:text("上级连接")');
      await page.waitForSelector('.mg-upstream[data-link="down"] dd:text-matches("^未连接 · ")');
      await screenshot(page, 'manager-link-down-zh');
    });
  },
);
