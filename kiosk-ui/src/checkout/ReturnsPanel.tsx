import { useRef, useState } from 'preact/hooks';
import type { ReturnResponse } from '../../../terminal/http/wire-types.js';
import type { Locale } from '../shell/i18n.js';
import { translator } from '../shell/i18n.js';
import { ApprovalForm } from './ApprovalForm.js';
import { postJson } from './checkout-api.js';
import { checkoutMessages, returnReasonText } from './messages.js';
import { ScanInput } from './ScanInput.js';

/** Returns: scan the items, a manager approves with their PIN; refusals are shown per item. */
export function ReturnsPanel(props: { locale: Locale; onSessionEnded: () => void }) {
  const { locale } = props;
  const t = translator(checkoutMessages, locale);
  const words: Record<string, string> = returnReasonText[locale];
  const [codes, setCodes] = useState<string[]>([]);
  const [refused, setRefused] = useState<Map<number, string>>(new Map());
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const ref = useRef(`return-${crypto.randomUUID()}`);

  const submit = async (approval: { user: string; pin: string; reason: string }) => {
    setError('');
    setMessage('');
    const result = await postJson<ReturnResponse>('/api/v1/returns', {
      externalRef: ref.current,
      lines: codes.map((data) => ({ data })),
      ...(approval.reason ? { reason: approval.reason } : {}),
      approval: { user: approval.user, pin: approval.pin },
    });
    if (result.ok) {
      setMessage(t('returnDone', { n: result.data.lines.length }));
      setCodes([]);
      setRefused(new Map());
      ref.current = `return-${crypto.randomUUID()}`;
      return;
    }
    if (result.status === 401) return props.onSessionEnded();
    if (result.status === 403) return setError(t('approvalRefused'));
    if (result.status === 429) return setError(t('approvalThrottled'));
    if (result.error.refused) {
      setRefused(new Map(result.error.refused.map((r) => [r.line, words[r.reason] ?? r.message])));
      setError(t('refusedReturn'));
    } else setError(result.error.message);
  };

  return (
    <section class="co-returns">
      <h2>{t('returnTitle')}</h2>
      <ScanInput
        label={t('scanLabel')}
        hint={t('returnHint')}
        addLabel={t('add')}
        onScan={(data) => {
          setMessage('');
          setCodes((all) => [...all, data]);
        }}
      />
      <ol class="co-basket">
        {codes.map((data, i) => (
          <li
            key={`${data}-${i}`}
            class={`co-line ${refused.has(i) ? 'co-stopped' : ''}`}
            data-state={refused.has(i) ? 'stopped' : 'ok'}
          >
            <span class="co-tail">…{data.slice(-6)}</span>
            {refused.has(i) && (
              <span class="co-badge co-badge-stop">{t('returnStopped', { reason: refused.get(i)! })}</span>
            )}
            <button
              type="button"
              class="co-remove"
              onClick={() => setCodes((all) => all.filter((_, j) => j !== i))}
            >
              {t('remove')}
            </button>
          </li>
        ))}
      </ol>
      {codes.length > 0 && (
        <ApprovalForm
          locale={locale}
          title={t('returnTitle')}
          needReason={false}
          submitLabel={t('returnSubmit')}
          error={error}
          onSubmit={submit}
        />
      )}
      <p class="co-done" role="status">
        {message}
      </p>
    </section>
  );
}
