import { useState } from 'preact/hooks';
import { getToken, setToken } from '../shell/api.js';
import { HandheldHeader } from '../shell/HandheldHeader.js';
import { translator, useLocale } from '../shell/i18n.js';
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
  return (
    <main class="rc-page">
      <HandheldHeader
        title={t('title')}
        locale={locale}
        setLocale={setLocale}
        signedIn={signedIn}
        signOutLabel={t('signOut')}
        onSignedOut={ended}
      />
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
