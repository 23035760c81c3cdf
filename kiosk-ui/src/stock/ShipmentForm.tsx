import { useState } from 'preact/hooks';
import type { ShipmentParams, StockOutKind, StockOutReason } from '../../../terminal/http/wire-types.js';
import { type Locale, translator } from '../shell/i18n.js';
import { kindNames, outReasonNames, STOCK_OUT_KINDS, STOCK_OUT_REASONS, stockMessages } from './messages.js';

/** The reason a kind starts with: what a clerk most often ships that way for. */
const FIRST_REASON: Record<StockOutKind, StockOutReason> = {
  return_to_supplier: 'wrong_delivery',
  transfer: 'rebalance',
  destruction: 'expired',
};

/** Starting a shipment: its kind, a reason, and the supplier or store it goes to. */
export function ShipmentForm(props: {
  locale: Locale;
  busy: boolean;
  onOpen: (params: ShipmentParams) => void;
}) {
  const t = translator(stockMessages, props.locale);
  const [kind, setKind] = useState<StockOutKind>('destruction');
  const [reason, setReason] = useState<StockOutReason>('expired');
  const [supplierId, setSupplierId] = useState('');
  const [toStoreId, setToStoreId] = useState('');
  const [note, setNote] = useState('');
  const ready =
    (kind !== 'return_to_supplier' || supplierId.trim() !== '') &&
    (kind !== 'transfer' || toStoreId.trim() !== '') &&
    (reason !== 'other' || note.trim() !== '');
  const submit = (event: Event) => {
    event.preventDefault();
    props.onOpen({
      kind,
      reason,
      ...(note.trim() ? { note: note.trim() } : {}),
      ...(kind === 'return_to_supplier' ? { supplierId: supplierId.trim() } : {}),
      ...(kind === 'transfer' ? { toStoreId: toStoreId.trim() } : {}),
    });
  };
  return (
    <form class="rc-close st-ship-form" onSubmit={submit}>
      <h2>{t('kind')}</h2>
      <div class="rc-choice st-kinds">
        {STOCK_OUT_KINDS.map((k) => (
          <button
            type="button"
            key={k}
            data-kind={k}
            aria-pressed={k === kind}
            onClick={() => {
              setKind(k);
              setReason(FIRST_REASON[k]);
            }}
          >
            {kindNames[props.locale][k]}
          </button>
        ))}
      </div>
      <h2>{t('reason')}</h2>
      <div class="rc-reasons">
        {STOCK_OUT_REASONS.map((r) => (
          <button
            type="button"
            key={r}
            data-reason={r}
            aria-pressed={r === reason}
            onClick={() => setReason(r)}
          >
            {outReasonNames[props.locale][r]}
          </button>
        ))}
      </div>
      {kind === 'return_to_supplier' && (
        <label>
          {t('supplierId')}
          <input
            name="supplier-id"
            value={supplierId}
            onInput={(e) => setSupplierId(e.currentTarget.value)}
          />
        </label>
      )}
      {kind === 'transfer' && (
        <label>
          {t('toStoreId')}
          <input name="to-store-id" value={toStoreId} onInput={(e) => setToStoreId(e.currentTarget.value)} />
        </label>
      )}
      <label>
        {t('note')}
        <textarea
          name="note"
          rows={2}
          maxLength={500}
          placeholder={t('noteHint')}
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
      </label>
      <div class="rc-actions">
        <button type="submit" class="rc-primary st-open-shipment" disabled={!ready || props.busy}>
          {t('openShipment')}
        </button>
      </div>
    </form>
  );
}
