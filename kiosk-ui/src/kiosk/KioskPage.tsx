import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { KioskSettings, VerifyResult } from '../../../terminal/http/wire-types.js';
import { api } from '../shell/api.js';
import { LOCALES, type Locale, resetLocale, setLocale, translator, useLocale } from '../shell/i18n.js';
import { useScanField } from '../shell/scan-field.js';
import { fromFieldText } from '../shell/scan-keys.js';
import { connectWs, type WsConnection } from '../shell/ws.js';
import './kiosk.css';
import { headlineOf, kioskMessages } from './messages.js';
import { VerdictView } from './VerdictView.js';
import { WedgeCapture } from './wedge.js';

declare global {
  interface Window {
    /** scan → verdict painted, ms, one entry per shown verdict (read by the bench and e2e). */
    __kioskPerf?: { verdict: string; ms: number; source: string; answerMs: number }[];
  }
}

interface Shown {
  result: VerifyResult;
  /** performance.now() when the scan ended (wedge) or the verdict arrived (scanner push). */
  startedAt: number;
  /** performance.now() when the verdict reached the page. */
  answeredAt: number;
  source: string;
  seq: number;
}

const LANGUAGE_NAMES: Record<Locale, string> = { 'zh-CN': '中文', en: 'English' };

function isEditable(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
  );
}

/** The shopper page at `/`. */
export function KioskPage() {
  const [settings, setSettings] = useState<KioskSettings>();
  const [locale] = useLocale(settings?.defaultLocale);
  const [shown, setShown] = useState<Shown>();
  const [busy, setBusy] = useState(false);
  const [online, setOnline] = useState(true);
  const [manual, setManual] = useState('');
  const manualRef = useRef<HTMLInputElement>(null);
  // A scanner may type into the manual field once it has focus: keep its GS (shell/scan-field.ts).
  const scanKeys = useScanField({ gsSubstitute: settings?.wedge.gsSubstitute, onValue: setManual });
  const seq = useRef(0);
  const t = translator(kioskMessages, locale);

  const busyTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const show = useCallback((result: VerifyResult, startedAt: number, source: string) => {
    seq.current += 1;
    clearTimeout(busyTimer.current);
    setBusy(false);
    setShown({ result, startedAt, answeredAt: performance.now(), source, seq: seq.current });
  }, []);

  const ws = useRef<WsConnection | undefined>(undefined);
  const pending = useRef(new Map<number, { startedAt: number; source: string }>());
  const nextId = useRef(1);
  const check = useCallback(
    async (data: string, source: 'wedge' | 'manual', startedAt: number) => {
      // "Checking…" only if the answer is slow: an extra render and paint before a fast verdict
      // would delay the verdict itself by a frame.
      clearTimeout(busyTimer.current);
      busyTimer.current = setTimeout(() => setBusy(true), 150);
      // Over the open WebSocket when possible (no HTTP round trip per scan), else POST /api/v1/verify.
      const id = nextId.current++;
      if (ws.current?.send({ type: 'scan', id, data, source })) {
        pending.current.set(id, { startedAt, source });
        return;
      }
      try {
        show(await api<VerifyResult>('/api/v1/verify', { body: { data, source } }), startedAt, source);
      } catch {
        clearTimeout(busyTimer.current);
        setBusy(false);
        setOnline(false);
      }
    },
    [show],
  );

  useEffect(() => {
    void api<KioskSettings>('/api/v1/kiosk/settings').then((s) => {
      setSettings(s);
      if (!sessionStorage.getItem('veriterm.locale')) resetLocale(s.defaultLocale);
    });
    const connection = connectWs((message) => {
      if (message.type === 'error' && message.replyTo !== undefined) {
        pending.current.delete(message.replyTo);
        clearTimeout(busyTimer.current);
        setBusy(false);
      }
      if (message.type !== 'verdict' || message.lane !== 'kiosk') return;
      const mine = message.replyTo === undefined ? undefined : pending.current.get(message.replyTo);
      if (message.replyTo !== undefined) pending.current.delete(message.replyTo);
      if (mine) show(message.data, mine.startedAt, mine.source);
      else show(message.data, performance.now(), 'scanner');
    }, setOnline);
    ws.current = connection;
    return connection;
  }, [show]);

  // Keyboard-wedge scanners type into whatever has focus; capture on window so it works with nothing focused.
  const wedgeOptions = settings?.wedge;
  useEffect(() => {
    const wedge = new WedgeCapture(
      (data, endedAt) => void check(data, 'wedge', endedAt),
      (typed) => {
        if (/^[\d\s]+$/.test(typed)) {
          setManual((m) => m + typed);
          manualRef.current?.focus();
        }
      },
      wedgeOptions,
    );
    const onKey = (event: KeyboardEvent) => {
      if (!isEditable(event.target)) wedge.key(event);
    };
    const onKeyUp = (event: KeyboardEvent) => {
      if (!isEditable(event.target)) wedge.keyUp(event);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('keyup', onKeyUp, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('keyup', onKeyUp, true);
      wedge.dispose();
    };
  }, [check, wedgeOptions]);

  // Performance mark once the verdict is on screen: rAF runs before paint, a message posted from it runs after.
  useLayoutEffect(() => {
    if (!shown) return;
    const { startedAt, answeredAt, seq: n, result, source } = shown;
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const end = performance.now();
        performance.mark(`verdict-painted-${n}`);
        performance.measure(`scan-to-verdict-${n}`, { start: startedAt, end });
        window.__kioskPerf ??= [];
        window.__kioskPerf.push({
          verdict: result.verdict,
          ms: end - startedAt,
          source,
          answerMs: answeredAt - startedAt,
        });
      };
      channel.port2.postMessage(0);
    });
  }, [shown]);

  // Back to the attract screen (and the default language) after inactivity.
  useEffect(() => {
    if (!shown || !settings) return;
    const timer = setTimeout(() => {
      setShown(undefined);
      resetLocale(settings.defaultLocale);
    }, settings.idleTimeoutMs);
    return () => clearTimeout(timer);
  }, [shown, settings, locale]);

  const submitManual = (event: Event) => {
    event.preventDefault();
    const data = fromFieldText(manual.replace(/\s+/g, ''));
    if (!data) return;
    setManual('');
    manualRef.current?.blur();
    void check(data, 'manual', performance.now());
  };
  const scanSample = (data: string) => {
    // Demo: the sample goes through the simulated scanner, exactly like a physical read.
    void api('/api/v1/demo/scan', { body: { data } }).catch(() => check(data, 'manual', performance.now()));
  };

  const announcement = shown
    ? `${t(`title_${headlineOf(shown.result)}`)}. ${shown.result.product?.names[locale] ?? ''}`
    : busy
      ? t('checking')
      : '';
  return (
    <div class="kiosk" data-locale={locale}>
      <header class="kiosk-bar">
        <span class="brand">veriterm</span>
        {!online && <span class="offline">{t('offline')}</span>}
        <nav class="langs" aria-label={t('language')}>
          {LOCALES.map((l) => (
            <button key={l} type="button" lang={l} aria-pressed={l === locale} onClick={() => setLocale(l)}>
              {LANGUAGE_NAMES[l]}
            </button>
          ))}
        </nav>
      </header>
      <div class="sr-only" role="status" aria-live="assertive" aria-atomic="true">
        {announcement}
      </div>
      <main class="kiosk-main">
        {shown ? (
          <VerdictView
            result={shown.result}
            locale={locale}
            hotline={settings?.hotline ?? ''}
            onBack={() => setShown(undefined)}
          />
        ) : (
          <section class="attract" data-state={busy ? 'busy' : 'idle'}>
            <div class="attract-art" aria-hidden="true">
              <span />
            </div>
            <h1>{busy ? t('checking') : t('attractTitle')}</h1>
            <p class="attract-hint">{t('attractHint')}</p>
            <form class="manual" onSubmit={submitManual}>
              <label for="manual-code">{t('manualLabel')}</label>
              <div>
                <input
                  id="manual-code"
                  ref={manualRef}
                  {...scanKeys}
                  inputMode="numeric"
                  autocomplete="off"
                  spellcheck={false}
                  value={manual}
                  onInput={(e) => setManual(e.currentTarget.value)}
                />
                <button type="submit">{t('manualSubmit')}</button>
              </div>
            </form>
            {settings?.demo && settings.samples.length > 0 && (
              <div class="samples">
                <h2>{t('samplesTitle')}</h2>
                <ul>
                  {settings.samples.map((s) => (
                    <li key={s.data}>
                      <button type="button" data-sample={s.expect} onClick={() => scanSample(s.data)}>
                        {s.label[locale]}
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            )}
          </section>
        )}
      </main>
    </div>
  );
}
