import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioskMessages } from '../../kiosk-ui/src/kiosk/messages.js';
import { type RunningDemo, startDemo } from '../../terminal/demo/start-demo.js';
import type { DemoSample, VerdictKind } from '../../terminal/http/wire-types.js';
import { silentLogger } from '../../terminal/logger.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { type Browser, CHROMIUM, launchBrowser, screenshot } from './browser.js';

const LOCALES = ['zh-CN', 'en'] as const;

/** Polls a condition (no fixed sleeps) and fails with what it was waiting for. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The shopper kiosk in headless Chromium against the real demo terminal (signed demo registry,
 * real code reader, ledger, WebSocket). One browser, one page, reused for every case.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))('kiosk page (Chromium)', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let demo: RunningDemo;
  let browser: Browser;
  let page: Page;
  let samples: DemoSample[];

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-e2e-');
    demo = await startDemo({
      logger: silentLogger(),
      dataDir: tmp.dir,
      port: 0,
      host: '127.0.0.1',
      // A loaded 2-core CI machine can space CDP keystrokes tens of ms apart: widen the wedge gap.
      // This one page scans ~30 codes back to back, faster than a shopper's 10 a second (burst 20)
      // on a quiet machine: the per-connection limit has its own tests (ws-flood), so lift it here.
      config: {
        kiosk: { idleTimeoutMs: 8_000, hotline: '12315', wedge: { maxGapMs: 250 } },
        http: { limits: { scansPerSecond: 1_000, scanBurst: 1_000 } },
      },
    });
    // One sample per verdict class the demo registry produces.
    const seen = new Set<VerdictKind>();
    samples = demo.samples.filter((s) => !seen.has(s.expect) && seen.add(s.expect));
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(`${demo.terminal.url}/`);
    await page.waitForSelector('.attract');
    // The WebSocket is up once the server has a client.
    await until(() => demo.terminal.hub.size === 1, 'the page to open its WebSocket');
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    tmp?.cleanup();
  });

  async function lastCheckId(): Promise<number> {
    // Not page.getAttribute: that waits for the element, and the attract screen has none.
    return page.evaluate(() =>
      Number(document.querySelector('[data-verdict]')?.getAttribute('data-check-id') ?? 0),
    );
  }

  /** Waits for a verdict newer than `after` and returns its kind and title. */
  async function nextVerdict(
    after: number,
    timeout = 10_000,
  ): Promise<{ verdict: string; title: string; checkId: number }> {
    const handle = await page.waitForFunction(
      (prev) => {
        const el = document.querySelector('[data-verdict]');
        const id = Number(el?.getAttribute('data-check-id') ?? 0);
        return el && id > prev ? { verdict: el.getAttribute('data-verdict'), id } : false;
      },
      after,
      { timeout },
    );
    const { verdict, id } = (await handle.jsonValue()) as { verdict: string; id: number };
    const title = (await page.textContent('.verdict-title')) ?? '';
    return { verdict, title, checkId: id };
  }

  async function useLocale(locale: (typeof LOCALES)[number]): Promise<void> {
    await page.click(`.langs button[lang="${locale}"]`);
    await page.waitForSelector(`.kiosk[data-locale="${locale}"]`);
  }

  it('starts on the attract screen in the configured language with the demo samples listed', async () => {
    expect(await page.textContent('.attract h1')).toBe(kioskMessages['zh-CN'].attractTitle);
    expect(await page.locator('.samples button').count()).toBe(demo.samples.length);
    await screenshot(page, 'kiosk-attract-zh-CN');
  });

  it('shows every verdict class in both languages via the simulated scanner', {
    timeout: 120_000,
  }, async () => {
    expect(samples.map((s) => s.expect).sort()).toEqual(
      [
        'already_sold',
        'destroyed',
        'expired',
        'genuine',
        'locked',
        'malformed',
        'recalled',
        'stolen',
        'unknown',
        'unverifiable',
        'withdrawn',
      ].sort(),
    );
    for (const locale of LOCALES) {
      await useLocale(locale);
      for (const sample of samples) {
        const before = await lastCheckId();
        expect(demo.scanner.inject(sample.data)).toBe(true);
        const shown = await nextVerdict(before);
        expect(shown.verdict).toBe(sample.expect);
        expect(shown.title).toBe(kioskMessages[locale][`title_${sample.expect}`]);
        // The verdict is announced to screen readers.
        await expect.poll(() => page.textContent('[role="status"][aria-live]')).toContain(shown.title);
        await screenshot(page, `kiosk-${sample.expect}-${locale}`);
      }
    }
  });

  it('shows product facts, history, and when/where an already-sold code was sold', async () => {
    await useLocale('en');
    const sold = samples.find((s) => s.expect === 'already_sold')!;
    const before = await lastCheckId();
    await demo.terminal.app.inject({
      method: 'POST',
      url: '/api/v1/demo/scan',
      payload: { data: sold.data },
    });
    await nextVerdict(before);
    const text = (await page.textContent('.verdict')) ?? '';
    expect(text).toContain('Infant Formula Milk Powder, Stage 1');
    expect(text).toMatch(/Sold at store S0042\b.* on /);
    expect(text).toMatch(/Checked (once|\d+ times) here before/);
    expect(text).toContain('Consumer hotline: 12315');
  });

  /**
   * Types like a keyboard-wedge scanner: keydown events at window level, back to back (scanners send
   * a key every few ms), then the suffix. Dispatched inside the page so that a loaded CI machine
   * cannot stretch the gaps the way per-key CDP round trips can; the page's real listener decides.
   */
  async function wedgeScan(parts: (string | { ctrl: string })[], suffix = 'Enter'): Promise<void> {
    await page.evaluate(
      ({ parts, suffix }) => {
        const fire = (key: string, ctrlKey = false) =>
          window.dispatchEvent(
            new KeyboardEvent('keydown', { key, ctrlKey, bubbles: true, cancelable: true }),
          );
        for (const part of parts) {
          if (typeof part === 'string') for (const ch of part) fire(ch);
          else fire(part.ctrl, true);
        }
        fire(suffix);
      },
      { parts, suffix },
    );
  }

  it('reads keyboard-wedge keystrokes with nothing focused, in both languages, Ctrl+] as GS', {
    timeout: 120_000,
  }, async () => {
    for (const locale of LOCALES) {
      await useLocale(locale);
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      for (const sample of samples) {
        const before = await lastCheckId();
        await wedgeScan([sample.data]);
        const shown = await nextVerdict(before);
        expect(shown.verdict).toBe(sample.expect);
        expect(shown.title).toBe(kioskMessages[locale][`title_${sample.expect}`]);
      }
    }
    // A GS1 element string whose serial is followed by AI 10 (the unit's registered batch L2506):
    // only a GS (Ctrl+]) ends the serial.
    let before = await lastCheckId();
    await wedgeScan([']d20106901234567892211000000001', { ctrl: ']' }, '10L2506'], 'Tab');
    expect((await nextVerdict(before)).verdict).toBe('genuine');
    // Without the GS the serial swallows "10L2506": not in the registry.
    before = await lastCheckId();
    await wedgeScan([']d20106901234567892211000000001', '10L2506']);
    expect((await nextVerdict(before)).verdict).toBe('unknown');
    // And real CDP keystrokes reach the same listener. Each key is a round trip to the browser, so
    // on a loaded machine a burst can come out slower than a scanner (median gap ≥ 35 ms) and is
    // then rightly read as typing and ignored: up to three bursts for one verdict.
    before = await lastCheckId();
    const genuine = samples.find((s) => s.expect === 'genuine')!;
    let typed: string | undefined;
    for (let attempt = 0; attempt < 3 && typed === undefined; attempt++) {
      await page.keyboard.type(genuine.data, { delay: 0 });
      await page.keyboard.press('Enter');
      typed = await nextVerdict(before, 5_000).then(
        (v) => v.verdict,
        () => undefined,
      );
    }
    expect(typed).toBe('genuine');
  });

  it('keeps GS typed as Ctrl+] into the FOCUSED manual field (GS1 batch, then serial)', async () => {
    await useLocale('en');
    if (await page.$('.back')) await page.click('.back');
    await page.waitForSelector('.attract');
    await page.focus('#manual-code');
    const before = await lastCheckId();
    // Real CDP keystrokes into the focused field, as a keyboard-mode scanner types them.
    await page.keyboard.type('01095060001343521720122510L2506');
    await page.keyboard.press('Control+BracketRight');
    // The chord shows as ␝ at the caret, so the field still reads as one scan.
    await expect.poll(() => page.inputValue('#manual-code')).toBe('01095060001343521720122510L2506\u241d');
    await page.keyboard.type('2112345');
    await page.keyboard.press('Enter');
    await nextVerdict(before);
    const facts = await page.$$eval('.facts div', (rows) =>
      Object.fromEntries(
        rows.map((r) => [r.querySelector('dt')?.textContent, r.querySelector('dd')?.textContent]),
      ),
    );
    // Without the GS the batch would swallow the serial ("L250621 12345") and the key lose it.
    expect(facts.Batch).toBe('L2506');
    expect(facts.Code).toBe('01095060001343522112345');
    await screenshot(page, 'kiosk-manual-gs1-en');
    // Ctrl+M ends a scan like Enter; a GS pasted raw is kept as ␝ too.
    await page.click('.back');
    await page.focus('#manual-code');
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData('text/plain', '01095060001343521720122510L2506\u001d2112345');
      document
        .querySelector('#manual-code')!
        .dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await expect
      .poll(() => page.inputValue('#manual-code'))
      .toBe('01095060001343521720122510L2506\u241d2112345');
    const pasted = await lastCheckId();
    await page.keyboard.press('Control+KeyM');
    await nextVerdict(pasted);
    expect(await page.textContent('.facts')).toContain('01095060001343522112345');
  });

  it('lets a shopper type the digits slowly and check them', async () => {
    if (await page.$('.back')) await page.click('.back');
    await page.waitForSelector('.attract');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const genuine = samples.find((s) => s.expect === 'genuine')!;
    const before = await lastCheckId();
    // Slow keys (people type ~100+ ms apart) land in the manual field rather than becoming a scan.
    await page.keyboard.type(genuine.data.slice(0, 3), { delay: 400 });
    await expect.poll(() => page.inputValue('#manual-code')).toBe(genuine.data.slice(0, 3));
    await page.fill('#manual-code', genuine.data);
    await page.click('.manual button[type="submit"]');
    expect((await nextVerdict(before)).verdict).toBe('genuine');
  });

  it('reports a suspicious pack as a durable alert record', async () => {
    const unknown = samples.find((s) => s.expect === 'unknown')!;
    const before = await lastCheckId();
    demo.scanner.inject(unknown.data);
    const shown = await nextVerdict(before);
    await page.click('.report');
    await page.waitForSelector('.reported');
    const alerts = demo.terminal.ledger.db
      .prepare("SELECT seq, payload FROM ledger_records WHERE type = 'alert'")
      .all() as { seq: number; payload: string }[];
    const mine = alerts.find((a) => {
      const p = JSON.parse(a.payload) as Record<string, unknown>;
      return p.kind === 'suspicious_report' && p.verdict === 'unknown' && p.checkId === shown.checkId;
    });
    expect(mine).toBeDefined();
    // The shopper gets a reference to quote, not a bare number: R- and the record's seq in six digits.
    const ref = `R-${String(mine!.seq).padStart(6, '0')}`;
    expect(await page.textContent('.reported')).toMatch(new RegExp(`(Reference |编号)${ref}$`));
  });

  it('fits portrait 1080x1920 and returns to the attract screen after inactivity', async () => {
    await page.setViewportSize({ width: 1080, height: 1920 });
    for (const kind of ['genuine', 'already_sold', 'unknown'] as const) {
      const before = await lastCheckId();
      demo.scanner.inject(samples.find((s) => s.expect === kind)!.data);
      await nextVerdict(before);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      expect(overflow).toBe(false);
      await screenshot(page, `kiosk-portrait-${kind}`);
    }
    await page.waitForSelector('.attract', { timeout: 20_000 });
    // And back in the default language.
    expect(await page.getAttribute('.kiosk', 'data-locale')).toBe('zh-CN');
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('lays out "could not read" without a stretched Back slab or 扫/描 split, portrait and landscape', {
    timeout: 60_000,
  }, async () => {
    const malformed = samples.find((s) => s.expect === 'malformed')!;
    for (const viewport of [
      { width: 1080, height: 1920, name: 'portrait' },
      { width: 1920, height: 1080, name: 'landscape' },
    ]) {
      await page.setViewportSize(viewport);
      for (const locale of LOCALES) {
        await useLocale(locale);
        const before = await lastCheckId();
        demo.scanner.inject(malformed.data);
        expect((await nextVerdict(before)).verdict).toBe('malformed');
        const back = (await page.locator('.verdict .back').boundingBox())!;
        // A button, not a slab: about one line of text high.
        expect(back.height, `${viewport.name} ${locale} Back height`).toBeLessThan(200);
        expect(back.width).toBeLessThan(viewport.width / 2);
        // The words are centred on the screen, not left in one half of it.
        const title = (await page.locator('.verdict-title').boundingBox())!;
        const middle = title.x + title.width / 2;
        expect(
          Math.abs(middle - viewport.width / 2),
          `${viewport.name} ${locale} title centred`,
        ).toBeLessThan(viewport.width * 0.1);
        if (locale === 'zh-CN') {
          // 扫描 ("scan") stays on one line: both characters' boxes share a top.
          const tops = await page.evaluate(() => {
            const el = document.querySelector('.verdict-title')!;
            const text = el.firstChild as Text;
            const at = (i: number) => {
              const range = document.createRange();
              range.setStart(text, i);
              range.setEnd(text, i + 1);
              return range.getBoundingClientRect().top;
            };
            const i = text.data.indexOf('扫描');
            return [at(i), at(i + 1)];
          });
          expect(tops[0], `${viewport.name}: 扫 and 描 on one line`).toBe(tops[1]);
        }
        await screenshot(page, `kiosk-${viewport.name}-malformed-${locale}`);
      }
    }
    await page.click('.back');
  });

  it('marks scan → verdict painted with performance measures', async () => {
    const perf = await page.evaluate(() => window.__kioskPerf ?? []);
    expect(perf.length).toBeGreaterThan(10);
    expect(perf.some((p) => p.source === 'wedge')).toBe(true);
    expect(perf.every((p) => Number.isFinite(p.ms) && p.ms >= 0)).toBe(true);
  });
});
