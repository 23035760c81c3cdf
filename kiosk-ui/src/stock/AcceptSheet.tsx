import { useState } from 'preact/hooks';
import type { AcceptView } from '../../../terminal/http/wire-types.js';
import { ApprovalForm } from '../checkout/ApprovalForm.js';
import { ApiFailure } from '../shell/api.js';
import { type Locale, translator } from '../shell/i18n.js';
import { playSound } from '../shell/sounds.js';
import { stockMessages } from './messages.js';
import { stockApi, withManager } from './stock-api.js';

/**
 * Accepting a closed stocktake's differences: a manager signed in gives the reason; on a cashier's
 * handheld a manager approves with their user and PIN and the reason (the checkout's approval
 * form), used for this one call and signed out. A cashier's PIN is refused and nothing changes.
 */
export function AcceptSheet(props: {
  locale: Locale;
  role: 'cashier' | 'manager';
  stocktakeId: string;
  onAccepted: (result: AcceptView) => Promise<void>;
  onFailed: (error: unknown) => void;
  onCancel: () => void;
}) {
  const t = translator(stockMessages, props.locale);
  const [reason, setReason] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const id = props.stocktakeId;

  const asManager = async () => {
    setBusy(true);
    try {
      await props.onAccepted(await stockApi.accept(id, reason.trim()));
    } catch (e) {
      props.onFailed(e);
    } finally {
      setBusy(false);
    }
  };
  const approve = async (a: { user: string; pin: string; reason: string }) => {
    setBusy(true);
    try {
      await props.onAccepted(
        await withManager(a.user, a.pin, (token) => stockApi.accept(id, a.reason.trim(), token)),
      );
    } catch (e) {
      const refused =
        e instanceof ApiFailure && ['bad_credentials', 'not_manager', 'forbidden'].includes(e.code);
      if (e instanceof ApiFailure && e.status === 429) setError(t('approvalThrottled'));
      else if (refused) setError(t('approvalRefused'));
      else setError(e instanceof ApiFailure ? t('failed', { message: e.message }) : t('offline'));
      playSound('problem');
    } finally {
      setBusy(false);
    }
  };

  if (props.role === 'cashier')
    return (
      <div class="st-approval">
        <ApprovalForm
          locale={props.locale}
          title={t('acceptTitle')}
          needReason
          submitLabel={t('approve')}
          error={error}
          onSubmit={approve}
          onCancel={props.onCancel}
        />
      </div>
    );
  return (
    <form
      class="rc-close st-accept-sheet"
      onSubmit={(e) => {
        e.preventDefault();
        void asManager();
      }}
    >
      <h2>{t('acceptTitle')}</h2>
      <label>
        {t('acceptReason')}
        <textarea
          name="accept-reason"
          rows={2}
          maxLength={500}
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <div class="rc-actions">
        <button type="button" onClick={props.onCancel}>
          {t('cancel')}
        </button>
        <button type="submit" class="rc-primary" disabled={busy || reason.trim() === ''}>
          {t('approve')}
        </button>
      </div>
    </form>
  );
}
