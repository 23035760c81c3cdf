import { useState } from 'preact/hooks';
import type { Locale } from '../shell/i18n.js';
import { translator } from '../shell/i18n.js';
import { checkoutMessages } from './messages.js';

export interface Approval {
  user: string;
  pin: string;
  reason: string;
}

/** Manager user + PIN (+ reason): used for overrides and returns. The PIN never leaves memory. */
export function ApprovalForm(props: {
  locale: Locale;
  title: string;
  needReason: boolean;
  submitLabel: string;
  error?: string;
  onSubmit: (approval: Approval) => void | Promise<void>;
  onCancel?: () => void;
}) {
  const t = translator(checkoutMessages, props.locale);
  const [user, setUser] = useState('');
  const [pin, setPin] = useState('');
  const [reason, setReason] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    await props.onSubmit({ user, pin, reason });
    setPin('');
  };
  return (
    <form class="co-approval" onSubmit={submit} aria-label={props.title}>
      <h2>{props.title}</h2>
      <label>
        {t('manager')}
        <input
          name="approver"
          autocomplete="off"
          value={user}
          onInput={(e) => setUser(e.currentTarget.value)}
          required
        />
      </label>
      <label>
        {t('pin')}
        <input
          name="approver-pin"
          type="password"
          inputMode="numeric"
          autocomplete="off"
          value={pin}
          onInput={(e) => setPin(e.currentTarget.value)}
          required
        />
      </label>
      <label>
        {t('reason')}
        <input
          name="reason"
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
          required={props.needReason}
        />
      </label>
      <div class="co-actions">
        <button type="submit" class="co-primary">
          {props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            {t('cancel')}
          </button>
        )}
      </div>
      <p class="co-error" role="alert">
        {props.error ?? ''}
      </p>
    </form>
  );
}
