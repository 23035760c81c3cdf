import { useEffect, useState } from 'preact/hooks';
import type {
  ProductStockView,
  StockSessionView,
  StocktakeParams,
} from '../../../terminal/http/wire-types.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { stockMessages } from './messages.js';
import { stockApi } from './stock-api.js';

/** What a stocktake counts, in a few words. */
export function scopeText(params: StockSessionView['params'], locale: Locale): string {
  const t = translator(stockMessages, locale);
  const { scope } = params as StocktakeParams;
  return scope === 'all' ? t('scopeAll') : t('scopeProducts', { n: scope.length });
}

/** The stocktakes on this terminal (newest first) and the two ways to start one. */
export function StocktakeList(props: {
  locale: Locale;
  onOpen: (id: string) => void;
  onFailed: (e: unknown) => void;
}) {
  const t = translator(stockMessages, props.locale);
  const [list, setList] = useState<StockSessionView[] | undefined>();
  const [products, setProducts] = useState<ProductStockView[] | undefined>();
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    stockApi.stocktakes().then(setList, props.onFailed);
  }, []);
  const open = async (scope: 'all' | string[]) => {
    setBusy(true);
    try {
      props.onOpen((await stockApi.openStocktake(scope)).id);
    } catch (e) {
      props.onFailed(e);
    } finally {
      setBusy(false);
    }
  };
  const choose = () => {
    if (products) return setProducts(undefined);
    setChosen(new Set());
    stockApi.counts().then((rows) => setProducts(rows.filter((r) => r.onHand > 0)), props.onFailed);
  };
  const toggle = (key: string) => {
    const next = new Set(chosen);
    if (!next.delete(key)) next.add(key);
    setChosen(next);
  };
  if (!list) return <p class="rc-loading">…</p>;
  return (
    <section class="rc-list st-list">
      <div class="rc-modes">
        <button
          type="button"
          class="st-new-all rc-close-open"
          disabled={busy}
          onClick={() => void open('all')}
        >
          {t('newWhole')}
        </button>
        <button type="button" class="st-new-chosen" aria-expanded={products !== undefined} onClick={choose}>
          {t('newChosen')}
        </button>
      </div>
      {products && (
        <form
          class="rc-close st-scope"
          onSubmit={(e) => {
            e.preventDefault();
            void open([...chosen]);
          }}
        >
          <h2>{t('chooseProducts')}</h2>
          <ul>
            {products.map((p) => (
              <li key={p.productKey}>
                <label class="st-product">
                  <input
                    type="checkbox"
                    name="product"
                    value={p.productKey}
                    checked={chosen.has(p.productKey)}
                    onChange={() => toggle(p.productKey)}
                  />
                  <span class="rc-key">{p.productKey}</span>
                  <span data-on-hand={p.onHand}>{t('onHandN', { n: p.onHand })}</span>
                </label>
              </li>
            ))}
          </ul>
          <div class="rc-actions">
            <button type="submit" class="rc-primary" disabled={chosen.size === 0 || busy}>
              {t('startChosen', { n: chosen.size })}
            </button>
          </div>
        </form>
      )}
      <h2>{t('stocktakes')}</h2>
      {list.length === 0 ? (
        <p class="rc-empty">{t('noStocktakes')}</p>
      ) : (
        <ul>
          {list.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                class="rc-delivery st-session"
                data-session={s.id}
                data-state={s.state === 'open' ? 'open' : 'closed'}
                onClick={() => props.onOpen(s.id)}
              >
                <strong>
                  {scopeText(s.params, props.locale)} · {t(`state_${s.state}`)}
                </strong>
                <span>
                  {formatDate(s.openedAt, props.locale, true)} · {s.openedBy}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
