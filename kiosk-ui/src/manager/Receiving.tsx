import { useEffect, useState } from 'preact/hooks';
import type { ManagerDelivery, ManagerReceiving } from '../../../terminal/http/wire-types.js';
import { ApiFailure, api } from '../shell/api.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { enumText } from './reasons.js';
import {
  diversionStateMessages,
  receiptExceptionMessages,
  receivingMessages,
  receivingModeMessages,
} from './receiving-messages.js';

/** How often the section re-reads: the stock counts read every received unit, so not on each push. */
const POLL_MS = 60_000;

/**
 * Receiving on the manager page: stock tiles (on hand, received, sold, products, open deliveries),
 * the deliveries with the clerk's counts, and the discrepancies (exceptions of recent deliveries;
 * units sold here that this store never checked in).
 */
export function Receiving(props: { locale: Locale; onSessionEnded: () => void }) {
  const [data, setData] = useState<ManagerReceiving>();
  useEffect(() => {
    const load = () =>
      api<ManagerReceiving>('/api/v1/manager/receiving').then(setData, (e: unknown) => {
        if (e instanceof ApiFailure && (e.status === 401 || e.status === 403)) props.onSessionEnded();
      });
    void load();
    const poll = setInterval(() => void load(), POLL_MS);
    return () => clearInterval(poll);
  }, []);
  if (!data) return null;
  const { locale } = props;
  const t = translator(receivingMessages, locale);
  const open = data.deliveries.filter((d) => d.state === 'open');
  const tiles: [string, string, number][] = [
    ['onHand', t('onHand'), data.stock.onHand],
    ['received', t('received'), data.stock.received],
    ['sold', t('sold'), data.stock.sold],
    ['products', t('products'), data.stock.products],
    ['openDeliveries', t('openDeliveries'), open.length],
  ];
  return (
    <section class="mg-receiving" data-mode={data.mode}>
      <header class="mg-receiving-head">
        <h2>{t('receiving')}</h2>
        <span class={`mg-mode mg-mode-${data.mode}`}>
          {t('mode', { mode: enumText(receivingModeMessages, locale, data.mode) })}
        </span>
      </header>
      <div class="mg-stock-tiles">
        {tiles.map(([name, label, n]) => (
          <article key={name} class="mg-stock-tile" data-stock={name}>
            <h3>{label}</h3>
            <p class="mg-count">{n.toLocaleString(locale)}</p>
          </article>
        ))}
      </div>
      <div class="mg-columns">
        <Deliveries deliveries={data.deliveries} locale={locale} />
        <Discrepancies data={data} locale={locale} />
      </div>
    </section>
  );
}

function Deliveries(props: { deliveries: ManagerDelivery[]; locale: Locale }) {
  const t = translator(receivingMessages, props.locale);
  return (
    <section class="mg-deliveries">
      <h3>{t('deliveries')}</h3>
      {props.deliveries.length === 0 ? (
        <p>{t('noDeliveries')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('delivery')}</th>
              <th>{t('state')}</th>
              <th>{t('expected')}</th>
              <th>{t('received')}</th>
              <th>{t('missing')}</th>
              <th>{t('putAside')}</th>
              <th>{t('extra')}</th>
            </tr>
          </thead>
          <tbody>
            {props.deliveries.map((d) => (
              <tr key={d.deliveryId} data-delivery={d.deliveryId} data-state={d.state}>
                <td>
                  <strong>{d.deliveryId}</strong>
                  <br />
                  <small>
                    {d.supplier} · {formatDate(d.closedAt ?? d.expectedArrival, props.locale)}
                  </small>
                </td>
                <td>
                  {d.state === 'open'
                    ? t('open')
                    : t(d.outcome === 'partial' ? 'closed_partial' : 'closed_complete')}
                </td>
                <td>{d.counts.expected}</td>
                <td>{d.counts.received}</td>
                <td class={d.counts.missing > 0 ? 'mg-count-bad' : undefined}>{d.counts.missing}</td>
                <td class={d.counts.putAside > 0 ? 'mg-count-warn' : undefined}>{d.counts.putAside}</td>
                <td class={d.counts.extra > 0 ? 'mg-count-warn' : undefined}>{d.counts.extra}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Discrepancies(props: { data: ManagerReceiving; locale: Locale }) {
  const { locale } = props;
  const t = translator(receivingMessages, locale);
  const { exceptions, diversions } = props.data.discrepancies;
  return (
    <section class="mg-discrepancies">
      <h3>{t('discrepancies')}</h3>
      <h4>
        {t('diversions')} ({diversions.length})
      </h4>
      {diversions.length === 0 && <p>{t('noDiversions')}</p>}
      <ul class="mg-diversions">
        {diversions.map((d) => (
          <li key={d.seq} data-state={d.state}>
            <code>{d.codeKey}</code> · {enumText(diversionStateMessages, locale, d.state)}
            <br />
            <small>
              {formatDate(d.at, locale, true)}
              {d.cashier ? ` · ${t('byCashier', { who: d.cashier })}` : ''} · #{d.seq}
            </small>
          </li>
        ))}
      </ul>
      <h4>
        {t('exceptions')} ({exceptions.length})
      </h4>
      {exceptions.length === 0 && <p>{t('noExceptions')}</p>}
      <ul class="mg-exceptions">
        {exceptions.map((e) => (
          <li key={`${e.deliveryId}/${e.key}/${e.reason}`} data-reason={e.reason}>
            <strong>{enumText(receiptExceptionMessages, locale, e.reason)}</strong> · <code>{e.key}</code>
            <br />
            <small>
              {e.deliveryId} · {e.putAside ? t('putAsideYes') : t('flaggedOnly')} ·{' '}
              {formatDate(e.at, locale, true)}
            </small>
          </li>
        ))}
      </ul>
    </section>
  );
}
