import { useState } from 'preact/hooks';
import type { CloseDeliveryRequest } from '../../../terminal/http/wire-types.js';
import { type Locale, translator } from '../shell/i18n.js';
import { receivingMessages } from './messages.js';

/** Close complete (only with nothing missing) or partial with a reason. */
export function CloseSheet(props: {
  locale: Locale;
  missing: number;
  busy: boolean;
  onClose: (request: CloseDeliveryRequest) => void;
  onCancel: () => void;
}) {
  const t = translator(receivingMessages, props.locale);
  const [outcome, setOutcome] = useState<'complete' | 'partial'>(props.missing > 0 ? 'partial' : 'complete');
  const [reason, setReason] = useState('');
  const submit = (event: Event) => {
    event.preventDefault();
    props.onClose(outcome === 'complete' ? { outcome } : { outcome, reason: reason.trim() });
  };
  const ready = outcome === 'complete' ? props.missing === 0 : reason.trim().length > 0;
  return (
    <form class="rc-close" onSubmit={submit}>
      <h2>{t('closeTitle')}</h2>
      <div class="rc-choice">
        <button
          type="button"
          name="outcome-complete"
          aria-pressed={outcome === 'complete'}
          disabled={props.missing > 0}
          onClick={() => setOutcome('complete')}
        >
          {t('closeComplete')}
        </button>
        <button
          type="button"
          name="outcome-partial"
          aria-pressed={outcome === 'partial'}
          onClick={() => setOutcome('partial')}
        >
          {t('closePartial')}
        </button>
      </div>
      {props.missing > 0 && <p class="rc-note">{t('closeMissing', { n: props.missing })}</p>}
      {outcome === 'partial' && (
        <label>
          {t('closeReason')}
          <textarea
            name="close-reason"
            rows={2}
            maxLength={500}
            placeholder={t('closeReasonHint')}
            value={reason}
            onInput={(e) => setReason(e.currentTarget.value)}
          />
        </label>
      )}
      <div class="rc-actions">
        <button type="button" onClick={props.onCancel}>
          {t('cancel')}
        </button>
        <button type="submit" class="rc-primary" disabled={!ready || props.busy}>
          {t('closeConfirm')}
        </button>
      </div>
    </form>
  );
}
