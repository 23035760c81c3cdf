import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, getToken, setToken } from '../shell/api.js';
import { HandheldHeader } from '../shell/HandheldHeader.js';
import { translator, useLocale } from '../shell/i18n.js';
import { SignIn } from '../shell/SignIn.js';
import '../receiving/receiving.css';
import { stockMessages } from './messages.js';
import { ShipmentScreen } from './ShipmentScreen.js';
import { StocktakeList } from './StocktakeList.js';
import { StocktakeScreen } from './StocktakeScreen.js';
import { stockApi } from './stock-api.js';
import './stock.css';

type Role = 'cashier' | 'manager';
type Tab = 'stocktake' | 'ship';

/**
 * /stock: the stock keeper's handheld page (360×640 portrait, touch first), in the receiving
 * page's look and with its pieces (wedge scanning with no field focused, big numbers, exception
 * lines, sounds). Two tabs: stocktake (盘点; any cashier-level user counts, a manager accepts the
 * differences) and shipping out (出库; managers only, as the API is). docs/stock.md "The stock page".
 */
export default function StockPage() {
  const [locale, setLocale] = useLocale();
  const t = translator(stockMessages, locale);
  const [role, setRole] = useState<Role | undefined>();
  const [signedIn, setSignedIn] = useState(() => getToken() !== undefined);
  const [tab, setTab] = useState<Tab>('stocktake');
  const [stocktake, setStocktake] = useState<string | undefined>();
  const [error, setError] = useState('');
  const ended = () => {
    setToken(undefined);
    setSignedIn(false);
    setRole(undefined);
    setStocktake(undefined);
  };
  const failed = (e: unknown) => {
    if (e instanceof ApiFailure && e.status === 401) return ended();
    setError(
      e instanceof ApiFailure && e.code !== 'network' ? t('failed', { message: e.message }) : t('offline'),
    );
  };
  // A reload keeps the session token: ask who it is (the role decides what the page offers).
  useEffect(() => {
    if (signedIn && !role)
      stockApi.me().then((me) => {
        if (me.role === 'cashier' || me.role === 'manager') setRole(me.role);
        else ended();
      }, failed);
  }, [signedIn]);
  return (
    <main class="rc-page st-page" data-role={role ?? ''}>
      <HandheldHeader
        title={t('title')}
        locale={locale}
        setLocale={setLocale}
        signedIn={signedIn}
        signOutLabel={t('signOut')}
        onSignedOut={ended}
      />
      {!signedIn ? (
        <SignIn
          locale={locale}
          need="cashier"
          onSignedIn={(s) => {
            setRole(s.role === 'manager' ? 'manager' : 'cashier');
            setSignedIn(true);
          }}
        />
      ) : !role ? (
        <p class={error ? 'rc-error' : 'rc-loading'}>{error || '…'}</p>
      ) : (
        <>
          <nav class="st-tabs" aria-label={t('title')}>
            {(['stocktake', 'ship'] as const).map((k) => (
              <button type="button" key={k} data-tab={k} aria-pressed={tab === k} onClick={() => setTab(k)}>
                {k === 'stocktake' ? t('tabStocktake') : t('tabShipOut')}
              </button>
            ))}
          </nav>
          {error && (
            <p class="rc-error" role="alert">
              {error}
            </p>
          )}
          {tab === 'stocktake' ? (
            stocktake === undefined ? (
              <StocktakeList locale={locale} onOpen={setStocktake} onFailed={failed} />
            ) : (
              <StocktakeScreen
                locale={locale}
                id={stocktake}
                role={role}
                onBack={() => setStocktake(undefined)}
                onSessionEnded={ended}
              />
            )
          ) : role === 'manager' ? (
            <ShipmentScreen locale={locale} onSessionEnded={ended} />
          ) : (
            <div class="rc-banner st-locked" data-ok="false" role="status">
              <strong>{t('shipOutLocked')}</strong>
              <span>{t('shipOutSignIn')}</span>
            </div>
          )}
        </>
      )}
    </main>
  );
}
