import { api } from './api.js';
import { LOCALES, type Locale } from './i18n.js';

/**
 * The handheld pages' header (/receiving, /stock): the title, the language buttons and, once
 * signed in, sign-out (the server session ends, then `onSignedOut` clears the page's own state).
 */
export function HandheldHeader(props: {
  title: string;
  locale: Locale;
  setLocale: (locale: Locale) => void;
  signedIn: boolean;
  signOutLabel: string;
  onSignedOut: () => void;
}) {
  const signOut = async () => {
    await api('/api/v1/auth/sign-out', { body: {} }).catch(() => undefined);
    props.onSignedOut();
  };
  return (
    <header class="rc-header">
      <h1>{props.title}</h1>
      <div class="rc-lang">
        {LOCALES.map((l) => (
          <button
            type="button"
            key={l}
            lang={l}
            aria-pressed={l === props.locale}
            onClick={() => props.setLocale(l)}
          >
            {l === 'zh-CN' ? '中文' : 'EN'}
          </button>
        ))}
        {props.signedIn && (
          <button type="button" class="rc-signout" onClick={() => void signOut()}>
            {props.signOutLabel}
          </button>
        )}
      </div>
    </header>
  );
}
