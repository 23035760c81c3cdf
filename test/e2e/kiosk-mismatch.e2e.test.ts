import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioskMessages } from '../../kiosk-ui/src/kiosk/messages.js';
import { type RunningDemo, startDemo } from '../../terminal/demo/start-demo.js';
import { silentLogger } from '../../terminal/logger.js';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { type Browser, CHROMIUM, launchBrowser, screenshot } from './browser.js';

/**
 * Issue 16 item 4 on the shopper kiosk (real demo terminal, signed demo registry, Chromium): the
 * registered formula serial printed with another batch and use-by date shows red "does not match
 * its registration", with the pack's batch and date and, beside them, the registry's.
 */
describe.skipIf(!hasSystemTool('chromium', CHROMIUM))(
  'kiosk: a code that disagrees with its unit (Chromium)',
  () => {
    let tmp: ReturnType<typeof makeTempDir>;
    let demo: RunningDemo;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      tmp = makeTempDir('veriterm-e2e-mismatch-');
      demo = await startDemo({ logger: silentLogger(), dataDir: tmp.dir, port: 0, host: '127.0.0.1' });
      browser = await launchBrowser();
      page = browser.page;
      await page.goto(`${demo.terminal.url}/`);
      await page.waitForSelector('.attract');
      const deadline = Date.now() + 10_000;
      while (demo.terminal.hub.size < 1) {
        if (Date.now() > deadline) throw new Error('timed out waiting for the page to open its WebSocket');
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
      tmp?.cleanup();
    });

    /** The check id on screen (0 on the attract screen); not getAttribute, which waits for the element. */
    function lastCheckId(): Promise<number> {
      return page.evaluate(() =>
        Number(document.querySelector('[data-verdict]')?.getAttribute('data-check-id') ?? 0),
      );
    }

    /** Waits for a verdict newer than `after` (by its check id). */
    async function nextVerdict(after: number): Promise<number> {
      const handle = await page.waitForFunction(
        (prev) => {
          const id = Number(document.querySelector('[data-verdict]')?.getAttribute('data-check-id') ?? 0);
          return id > prev ? id : false;
        },
        after,
        { timeout: 10_000 },
      );
      return (await handle.jsonValue()) as number;
    }

    it('the demo offers the sample, and the terminal calls it unknown for its batch', () => {
      const code = demo.registry.codes.find((c) => c.reason === 'batch_mismatch')!;
      expect(demo.samples.find((s) => s.data === code.scan)?.expect).toBe('unknown');
      expect(demo.terminal.verifier.verify(code.scan, { record: false })).toMatchObject({
        verdict: 'unknown',
        reason: 'batch_mismatch',
        mismatch: {
          batch: { scanned: 'L2507', registered: 'L2506' },
          expiry: { scanned: '2028-06-30', registered: '2099-05-31' },
        },
      });
    });

    it.each(['zh-CN', 'en'] as const)(
      'shows red with the pack’s and the registry’s batch and date (%s)',
      async (locale) => {
        const words = kioskMessages[locale];
        await page.click(`.langs button[lang="${locale}"]`);
        await page.waitForSelector(`.kiosk[data-locale="${locale}"]`);
        const code = demo.registry.codes.find((c) => c.reason === 'batch_mismatch')!;
        const before = await lastCheckId();
        expect(demo.scanner.inject(code.scan)).toBe(true);
        await nextVerdict(before);
        const verdict = page.locator('[data-verdict]');
        expect(await verdict.getAttribute('data-verdict')).toBe('unknown');
        expect(await verdict.getAttribute('class')).toContain('tone-bad');
        expect(await page.textContent('.verdict-title')).toBe(words.title_mismatch);
        expect(await page.textContent('.verdict-body')).toBe(words.body_mismatch);
        // Red means red: the verdict's background is the "bad" colour.
        expect(await verdict.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(179, 20, 28)');

        // Batch: the pack's L2507, then the registry's L2506.
        const batch = page.locator('[data-fact="batch"]');
        expect(await batch.getAttribute('class')).toContain('fact-differs');
        expect(await batch.locator('.on-pack').textContent()).toBe('L2507');
        expect(await batch.locator('.registry-value').textContent()).toBe(
          words.registrySays.replace('{value}', 'L2506'),
        );
        // Use-by: the date printed on the pack (2028-06-30), then the registry's (2099-05-31), both
        // in the page's language.
        const expires = page.locator('[data-fact="expires"]');
        const printed = (await expires.locator('.on-pack').textContent()) ?? '';
        const registered = (await expires.locator('.registry-value').textContent()) ?? '';
        const format = (iso: string) =>
          page.evaluate(
            ({ iso, locale }) =>
              new Date(`${iso}T00:00:00`).toLocaleString(locale, {
                year: 'numeric',
                month: 'short',
                day: 'numeric',
              }),
            { iso, locale },
          );
        expect(printed).toBe(await format('2028-06-30'));
        expect(registered).toBe(words.registrySays.replace('{value}', await format('2099-05-31')));
        expect(await expires.locator('.on-pack-note').textContent()).toBe(words.onPack);
        // The shopper is told not to buy it and can report it.
        expect(await page.isVisible('.guidance .report')).toBe(true);
        // Screen readers hear the same headline.
        await expect
          .poll(() => page.textContent('[role="status"][aria-live]'))
          .toContain(words.title_mismatch);
        await screenshot(page, `kiosk-mismatch-${locale}`);
      },
    );

    it('a genuine pack whose printed batch agrees shows no registry note', async () => {
      await page.click('.langs button[lang="en"]');
      const before = await lastCheckId();
      demo.scanner.inject(']d2010690123456789210L2506\u001d211000000001');
      await nextVerdict(before);
      expect(await page.getAttribute('[data-verdict]', 'data-verdict')).toBe('genuine');
      expect(await page.locator('[data-fact="batch"] .on-pack').textContent()).toBe('L2506');
      expect(await page.locator('.registry-value').count()).toBe(0);
    });
  },
);
