import { useEffect, useState } from 'preact/hooks';
import type { DeliverySummary } from '../../../terminal/http/wire-types.js';
import { ApiFailure } from '../shell/api.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { outcomeNames, receivingMessages } from './messages.js';
import { receivingApi } from './receiving-api.js';

/** The deliveries on this terminal: open ones to pick, then the latest closed ones. */
export function DeliveryList(props: {
  locale: Locale;
  onOpen: (id: string) => void;
  onSessionEnded: () => void;
}) {
  const t = translator(receivingMessages, props.locale);
  const [list, setList] = useState<DeliverySummary[] | undefined>();
  const [error, setError] = useState('');
  useEffect(() => {
    receivingApi.deliveries().then(setList, (e: unknown) => {
      if (e instanceof ApiFailure && e.status === 401) props.onSessionEnded();
      else setError(e instanceof ApiFailure && e.code !== 'network' ? e.message : t('offline'));
    });
  }, []);
  if (error)
    return (
      <p class="rc-error" role="alert">
        {error}
      </p>
    );
  if (!list) return <p class="rc-loading">…</p>;
  const open = list.filter((d) => d.state === 'open');
  const closed = list.filter((d) => d.state === 'closed');
  const card = (d: DeliverySummary) => (
    <li key={d.deliveryId}>
      <button
        type="button"
        class="rc-delivery"
        data-delivery={d.deliveryId}
        data-state={d.state}
        onClick={() => props.onOpen(d.deliveryId)}
      >
        <strong>{d.deliveryId}</strong>
        <span>{d.supplier.name}</span>
        <span>
          {d.state === 'open'
            ? t('arrival', { at: formatDate(d.expectedArrival, props.locale, true) })
            : t('closedAs', { outcome: outcomeNames[props.locale][d.outcome ?? 'partial'] })}
        </span>
        <span class="rc-delivery-counts">
          {t('listCounts', {
            received: d.counts.received,
            expected: d.counts.expected,
            missing: d.counts.missing,
          })}
        </span>
      </button>
    </li>
  );
  return (
    <section class="rc-list">
      <h2>{t('deliveries')}</h2>
      {open.length === 0 ? <p class="rc-empty">{t('noDeliveries')}</p> : <ul>{open.map(card)}</ul>}
      {closed.length > 0 && (
        <>
          <h2>{t('closedDeliveries')}</h2>
          <ul>{closed.map(card)}</ul>
        </>
      )}
    </section>
  );
}
