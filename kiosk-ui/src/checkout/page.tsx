import { useState } from 'preact/hooks';
import { getToken, setToken } from '../shell/api.js';
import { LOCALES, translator, useLocale } from '../shell/i18n.js';
import { SignIn } from '../shell/SignIn.js';
import { postJson } from './checkout-api.js';
import { checkoutMessages } from './messages.js';
import { ReturnsPanel } from './ReturnsPanel.js';
import { SalePanel } from './SalePanel.js';
import './checkout.css';

/** /checkout: the cashier's lane. Sign in with a cashier PIN, then sell or take returns. */
export default function CheckoutPage() {
  const [locale, setLocale] = useLocale();
  const t = translator(checkoutMessages, locale);
  const [signedIn, setSignedIn] = useState(() => getToken() !== undefined);
  const [tab, setTab] = useState<'sale' | 'returns'>('sale');
  const ended = () => {
    setToken(undefined);
    setSignedIn(false);
  };
  const signOut = async () => {
    await postJson('/api/v1/auth/sign-out', {});
    ended();
  };
  return (
    <main class="co-page">
      <header class="co-header">
        <h1>{t('title')}</h1>
        {signedIn && (
          <nav class="co-tabs">
            <button type="button" aria-pressed={tab === 'sale'} onClick={() => setTab('sale')}>
              {t('sale')}
            </button>
            <button type="button" aria-pressed={tab === 'returns'} onClick={() => setTab('returns')}>
              {t('returns')}
            </button>
          </nav>
        )}
        <div class="co-lang">
          {LOCALES.map((l) => (
            <button type="button" key={l} lang={l} aria-pressed={l === locale} onClick={() => setLocale(l)}>
              {l === 'zh-CN' ? '中文' : 'English'}
            </button>
          ))}
          {signedIn && (
            <button type="button" class="co-signout" onClick={() => void signOut()}>
              {t('signOut')}
            </button>
          )}
        </div>
      </header>
      {!signedIn ? (
        <SignIn locale={locale} need="cashier" onSignedIn={() => setSignedIn(true)} />
      ) : tab === 'sale' ? (
        <SalePanel locale={locale} onSessionEnded={ended} />
      ) : (
        <ReturnsPanel locale={locale} onSessionEnded={ended} />
      )}
    </main>
  );
}
