import { useEffect, useRef, useState } from 'preact/hooks';
import type { ShipmentParams, ShipmentView, StockScanAnswerView } from '../../../terminal/http/wire-types.js';
import { tailOf } from '../receiving/Counts.js';
import { ApiFailure } from '../shell/api.js';
import { type Locale, translator } from '../shell/i18n.js';
import { playSound } from '../shell/sounds.js';
import { useWedge } from '../shell/use-wedge.js';
import { kindNames, outReasonNames, stockMessages } from './messages.js';
import { ScanTools } from './ScanTools.js';
import { ShipmentForm } from './ShipmentForm.js';
import { StockBanner, soundOf } from './StockBanner.js';
import { stockApi } from './stock-api.js';

/** The shipment being scanned on this handheld, kept across a reload (the API lists none). */
const CURRENT_KEY = 'veriterm.stock.shipment';

const keysOf = (units: Record<string, string[]>) =>
  Object.entries(units).flatMap(([product, rests]) => rests.map((rest) => product + rest));

/**
 * Shipping out (manager only, as the API is): return to supplier, transfer to another store or
 * destruction. Choose the kind and reason, scan units or case/pallet labels, take a mistaken scan
 * out again (its line's button, or "remove" mode and scan it), close with a signed `stock_out`
 * record (units leave stock) or cancel (nothing written).
 */
export function ShipmentScreen(props: { locale: Locale; onSessionEnded: () => void }) {
  const t = translator(stockMessages, props.locale);
  const [id, setId] = useState<string | undefined>(() => sessionStorage.getItem(CURRENT_KEY) ?? undefined);
  const [view, setView] = useState<ShipmentView | undefined>();
  const [answer, setAnswer] = useState<StockScanAnswerView | undefined>();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [closing, setClosing] = useState(false);
  const queue = useRef<Promise<void>>(Promise.resolve());
  const mode = useRef(removing);
  mode.current = removing;

  const failed = (e: unknown) => {
    if (e instanceof ApiFailure && e.status === 401) return props.onSessionEnded();
    setAnswer(undefined);
    setError(
      e instanceof ApiFailure && e.code !== 'network' ? t('failed', { message: e.message }) : t('offline'),
    );
    playSound('problem');
  };
  const current = (next: string | undefined) => {
    if (next) sessionStorage.setItem(CURRENT_KEY, next);
    else sessionStorage.removeItem(CURRENT_KEY);
    setId(next);
    setView(undefined);
    setAnswer(undefined);
    setError('');
  };
  useEffect(() => {
    if (id)
      stockApi.shipment(id).then(setView, (e: unknown) => {
        // Gone (another terminal's data dir, a reset demo): start a new one.
        if (e instanceof ApiFailure && e.status === 404) current(undefined);
        else failed(e);
      });
  }, [id]);

  const step = (call: () => Promise<unknown>, sound = true) => {
    queue.current = queue.current.then(async () => {
      setBusy(true);
      try {
        const result = await call();
        if (Array.isArray(result)) {
          const a = result[0] as StockScanAnswerView;
          setAnswer(a);
          if (sound) playSound(soundOf(a));
        }
        setError('');
        if (id) setView(await stockApi.shipment(id));
      } catch (e) {
        failed(e);
      } finally {
        setBusy(false);
      }
    });
  };
  const onScan = (data: string) => {
    if (!id || !view) return;
    if (view.state !== 'open') {
      setError(t('scanClosed'));
      playSound('problem');
      return;
    }
    const removal = mode.current;
    if (removal) setRemoving(false);
    step(() => (removal ? stockApi.removeFromShipment(id, [data]) : stockApi.scanShipment(id, [data])));
  };
  useWedge(onScan);

  const open = async (params: ShipmentParams) => {
    setBusy(true);
    try {
      current((await stockApi.openShipment(params)).id);
    } catch (e) {
      failed(e);
    } finally {
      setBusy(false);
    }
  };
  const finish = (call: () => Promise<unknown>) => {
    setClosing(false);
    queue.current = queue.current.then(async () => {
      setBusy(true);
      try {
        await call();
        setAnswer(undefined);
        setError('');
        setView(await stockApi.shipment(id!));
        playSound('ok');
      } catch (e) {
        failed(e);
      } finally {
        setBusy(false);
      }
    });
  };

  if (!id)
    return (
      <section class="st-shipping">
        {error && (
          <p class="rc-error" role="alert">
            {error}
          </p>
        )}
        <ShipmentForm locale={props.locale} busy={busy} onOpen={(p) => void open(p)} />
      </section>
    );
  if (!view) return <p class="rc-loading">{error || '…'}</p>;
  const params = view.params as ShipmentParams;
  const keys = keysOf(view.units);
  const isOpen = view.state === 'open';
  return (
    <section
      class="rc-delivery-screen st-shipment"
      data-session={view.id}
      data-state={view.state}
      data-busy={busy}
    >
      <div class="rc-title">
        <div>
          <strong>
            {kindNames[props.locale][params.kind]} · {outReasonNames[props.locale][params.reason]}
          </strong>
          <span>{params.supplierId ?? params.toStoreId ?? params.note ?? view.id}</span>
        </div>
      </div>
      <section class="rc-counts st-ship-counts" aria-live="polite">
        <div class="rc-count" data-count="units">
          <span class="rc-count-n">{keys.length}</span>
          <span class="rc-count-label">{t('inShipment')}</span>
        </div>
      </section>
      {isOpen ? (
        <StockBanner locale={props.locale} answer={answer} error={error} hint={t('shipPrompt')} />
      ) : (
        <div class="rc-banner" data-ok="closed" role="status">
          <strong>{view.state === 'cancelled' ? t('shipCancelled') : t('shipClosed')}</strong>
          {error && <span class="rc-error">{error}</span>}
          {view.recordId && <small>{t('record', { id: view.recordId })}</small>}
        </div>
      )}
      {isOpen && !closing && (
        <div class="rc-modes">
          <button
            type="button"
            class="st-remove-mode"
            aria-pressed={removing}
            onClick={() => setRemoving(!removing)}
          >
            {t('removeMode')}
          </button>
          <button
            type="button"
            class="st-cancel"
            onClick={() => finish(() => stockApi.cancelShipment(view.id))}
          >
            {t('shipCancel')}
          </button>
          <button
            type="button"
            class="rc-close-open st-ship-close"
            disabled={keys.length === 0}
            onClick={() => setClosing(true)}
          >
            {t('shipClose')}
          </button>
        </div>
      )}
      {isOpen && removing && !closing && (
        <p class="rc-mode-hint" role="status">
          {t('removeHint')}
        </p>
      )}
      {isOpen && closing && (
        <form
          class="rc-close st-ship-close-sheet"
          onSubmit={(e) => {
            e.preventDefault();
            finish(() => stockApi.closeShipment(view.id));
          }}
        >
          <h2>{t('shipClose')}</h2>
          <div class="rc-actions">
            <button type="button" onClick={() => setClosing(false)}>
              {t('cancel')}
            </button>
            <button type="submit" class="rc-primary" disabled={busy}>
              {t('shipCloseConfirm', { n: keys.length })}
            </button>
          </div>
        </form>
      )}
      {!isOpen && (
        <div class="rc-modes">
          <button type="button" class="rc-close-open st-new-shipment" onClick={() => current(undefined)}>
            {t('newShipment')}
          </button>
        </div>
      )}
      <section class="rc-exceptions st-ship-units">
        <h2>
          {t('inShipment')} ({keys.length})
        </h2>
        {keys.length === 0 ? (
          <p class="rc-empty">{t('noUnits')}</p>
        ) : (
          <ul>
            {keys.slice(0, 200).map((key) => (
              <li key={key} class="rc-exception st-unit" data-key={key}>
                <span class="rc-exception-text">
                  <span class="rc-key">{tailOf(key)}</span>
                </span>
                {isOpen && (
                  <button
                    type="button"
                    class="rc-aside-line st-remove"
                    onClick={() => step(() => stockApi.removeFromShipment(view.id, [key]))}
                  >
                    {t('remove')}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      {isOpen && <ScanTools locale={props.locale} onScan={onScan} />}
    </section>
  );
}
