import { useEffect, useState } from 'preact/hooks';

/** Languages every page offers. */
export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];

/** A page's message catalogue: the same keys in every language. */
export type Catalogue<K extends string> = Record<Locale, Record<K, string>>;

const LOCALE_KEY = 'veriterm.locale';
const listeners = new Set<(l: Locale) => void>();
let current: Locale | undefined;

/** The shared UI language: stored per browser tab session, defaulting to the terminal's config. */
export function useLocale(fallback: Locale = 'zh-CN'): [Locale, (l: Locale) => void] {
  const [locale, setLocaleState] = useState<Locale>(
    () => current ?? (sessionStorage.getItem(LOCALE_KEY) as Locale | null) ?? fallback,
  );
  useEffect(() => {
    listeners.add(setLocaleState);
    return () => listeners.delete(setLocaleState);
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  return [locale, setLocale];
}

export function setLocale(locale: Locale, persist = true): void {
  current = locale;
  if (persist) sessionStorage.setItem(LOCALE_KEY, locale);
  for (const l of listeners) l(locale);
}

/** Resets to a default without remembering it (the kiosk does this when it returns to attract). */
export function resetLocale(locale: Locale): void {
  sessionStorage.removeItem(LOCALE_KEY);
  setLocale(locale, false);
}

/** `t('history', { n: 3 })`: looks up `key` in `catalogue[locale]` and fills `{name}` slots. */
export function translator<K extends string>(catalogue: Catalogue<K>, locale: Locale) {
  return (key: K, vars: Record<string, string | number> = {}): string =>
    catalogue[locale][key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** Date and time in the page's language, e.g. 2026年11月28日 / 28 Nov 2026. */
export function formatDate(iso: string | undefined, locale: Locale, withTime = false): string {
  if (!iso) return '';
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00` : iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    ...(withTime ? { hour: '2-digit', minute: '2-digit' } : {}),
  });
}
