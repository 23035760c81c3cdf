import { useState } from 'preact/hooks';
import { api, getToken, setToken } from '../shell/api.js';
import { LOCALES, translator, useLocale } from '../shell/i18n.js';
import { SignIn } from '../shell/SignIn.js';
import { DeliveryList } from './DeliveryList.js';
import { DeliveryScreen } from './DeliveryScreen.js';
import { receivingMessages } from './messages.js';
import './receiving.css';

/**
 * /receiving: the receiving clerk's handheld page (360×640 portrait, touch first). Sign in with a
 * cashier-level PIN, pick a delivery, scan pallets, cases and units with the handheld's scanner
 * (read on the window, no field focused), put problems aside, close the delivery.
 */
export default function ReceivingPage() {
  const [locale, setLocale] = useLocale();
  const t = translator(receivingMessages, locale);
  const [signedIn, setSignedIn] = useState(() => getToken() !== undefined);
  const [deliveryId, setDeliveryId] = useState<string | undefined>();
  const ended = () => {
    setToken(undefined);
    setSignedIn(false);
    setDeliveryId(undefined);
  };
  const signOut = async () => {
    await api('/api/v1/auth/sign-out', { body: {} }).catch(() => undefined);
    ended();
  };
  return (
    <main class="rc-page">
      <header class="rc-header">
        <h1>{t('title')}</h1>
        <div class="rc-lang">
          {LOCALES.map((l) => (
            <button type="button" key={l} lang={l} aria-pressed={l === locale} onClick={() => setLocale(l)}>
              {l === 'zh-CN' ? '中文' : 'EN'}
            </button>
          ))}
          {signedIn && (
            <button type="button" class="rc-signout" onClick={() => void signOut()}>
              {t('signOut')}
            </button>
          )}
        </div>
      </header>
      {!signedIn ? (
        <SignIn locale={locale} need="cashier" onSignedIn={() => setSignedIn(true)} />
      ) : deliveryId === undefined ? (
        <DeliveryList locale={locale} onOpen={setDeliveryId} onSessionEnded={ended} />
      ) : (
        <DeliveryScreen
          locale={locale}
          deliveryId={deliveryId}
          onBack={() => setDeliveryId(undefined)}
          onSessionEnded={ended}
        />
      )}
    </main>
  );
}
