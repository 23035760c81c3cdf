import { useRef, useState } from 'preact/hooks';
import type { CheckResponse, SaleResponse, SignInResponse } from '../../../terminal/http/wire-types.js';
import type { Locale } from '../shell/i18n.js';
import { translator } from '../shell/i18n.js';
import { ApprovalForm } from './ApprovalForm.js';
import { BasketLine, type Line, lineSellable } from './BasketLine.js';
import { postJson } from './checkout-api.js';
import { checkoutMessages, reasonText } from './messages.js';
import { Receipt } from './Receipt.js';
import { ScanInput } from './ScanInput.js';

const newRef = () => `lane-${crypto.randomUUID()}`;

/**
 * The basket: scan → verdict per line; stopped lines say why; a manager may override only
 * `unverifiable`; complete sale posts the basket once (a retry reuses the same externalRef, so a
 * lost answer never sells twice) and shows the receipt.
 */
export function SalePanel(props: { locale: Locale; onSessionEnded: () => void }) {
  const { locale } = props;
  const t = translator(checkoutMessages, locale);
  const [lines, setLines] = useState<Line[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [overrideFor, setOverrideFor] = useState<number | undefined>();
  const [overrideError, setOverrideError] = useState('');
  const [receipt, setReceipt] = useState<SaleResponse | undefined>();
  const ref = useRef(newRef());
  const nextId = useRef(1);

  const update = (id: number, change: Partial<Line>) =>
    setLines((all) => all.map((l) => (l.id === id ? { ...l, ...change } : l)));

  const scan = async (data: string) => {
    if (receipt) return;
    const id = nextId.current++;
    setLines((all) => [...all, { id, data }]);
    const result = await postJson<CheckResponse>('/api/v1/checkout/check', { data });
    if (result.ok) update(id, { check: result.data });
    else if (result.status === 401) props.onSessionEnded();
    else update(id, { refusal: result.error.message });
  };

  /** A split pack's quantity (拆零): the terminal checks the line again with it. */
  const setQuantity = async (line: Line, quantity: number | undefined) => {
    const split = line.check?.split ?? line.split;
    update(line.id, { quantity, check: undefined, refusal: undefined, split });
    const result = await postJson<CheckResponse>('/api/v1/checkout/check', {
      data: line.data,
      ...(quantity === undefined ? {} : { quantity }),
    });
    if (result.ok) update(line.id, { check: result.data });
    else if (result.status === 401) props.onSessionEnded();
    else update(line.id, { refusal: result.error.message });
  };

  const approveOverride = async (lineId: number, approval: { user: string; pin: string; reason: string }) => {
    const session = await postJson<SignInResponse>(
      '/api/v1/auth/sign-in',
      { user: approval.user, pin: approval.pin },
      undefined,
    );
    if (!session.ok || session.data.role !== 'manager') {
      if (session.ok) void postJson('/api/v1/auth/sign-out', {}, session.data.token);
      // 429: the PIN throttle holds this lane for a while (docs/security.md); say so, not "refused".
      setOverrideError(t(!session.ok && session.status === 429 ? 'approvalThrottled' : 'approvalRefused'));
      return;
    }
    update(lineId, {
      override: { reason: approval.reason, token: session.data.token, by: session.data.name },
    });
    setOverrideFor(undefined);
    setOverrideError('');
  };

  /** Manager approval tokens live only for the basket they approved. */
  const endApprovals = (basket: Line[]) => {
    for (const l of basket) if (l.override) void postJson('/api/v1/auth/sign-out', {}, l.override.token);
  };

  const reset = () => {
    endApprovals(lines);
    setLines([]);
    setReceipt(undefined);
    setError('');
    ref.current = newRef();
  };

  const voidSale = () => {
    if (lines.length > 0 && !window.confirm(t('voidConfirm'))) return;
    reset();
  };

  const complete = async () => {
    setBusy(true);
    setError('');
    const body = {
      externalRef: ref.current,
      lines: lines.map((l) => ({
        data: l.data,
        ...(l.quantity === undefined ? {} : { quantity: l.quantity }),
        ...(l.override
          ? { override: { reason: l.override.reason, approval: { token: l.override.token } } }
          : {}),
      })),
    };
    const result = await postJson<SaleResponse>('/api/v1/sales', body);
    setBusy(false);
    if (result.ok) {
      endApprovals(lines);
      setReceipt(result.data);
      return;
    }
    if (result.status === 401) return props.onSessionEnded();
    if (result.error.code === 'lines_refused' && result.error.refused) {
      const words = reasonText[locale];
      const refused = new Map(
        result.error.refused.map((r) => [r.line, words[r.reason] ?? words[r.verdict ?? ''] ?? r.message]),
      );
      setLines((all) => all.map((l, i) => (refused.has(i) ? { ...l, refusal: refused.get(i)! } : l)));
      setError(t('refusedSale'));
    } else {
      setError(
        result.error.code === 'network'
          ? t('network', { message: result.error.message })
          : result.error.message,
      );
    }
  };

  if (receipt) return <Receipt sale={receipt} locale={locale} onNext={reset} />;
  const canComplete = lines.length > 0 && lines.every(lineSellable) && !busy;
  const blocked = lines.some((l) => l.check && !lineSellable(l));
  return (
    <section class="co-sale">
      <ScanInput
        label={t('scanLabel')}
        hint={t('scanHint')}
        addLabel={t('add')}
        onScan={(d) => void scan(d)}
      />
      {lines.length === 0 ? (
        <p class="co-empty">{t('empty')}</p>
      ) : (
        <ol class="co-basket" aria-live="polite">
          {lines.map((line) => (
            <BasketLine
              key={line.id}
              line={line}
              locale={locale}
              onRemove={() => setLines((all) => all.filter((l) => l.id !== line.id))}
              onQuantity={(q) => void setQuantity(line, q)}
              onOverride={() => {
                setOverrideError('');
                setOverrideFor(line.id);
              }}
            />
          ))}
        </ol>
      )}
      {overrideFor !== undefined && (
        <ApprovalForm
          locale={locale}
          title={t('overrideTitle')}
          needReason
          submitLabel={t('approve')}
          error={overrideError}
          onSubmit={(a) => approveOverride(overrideFor, a)}
          onCancel={() => setOverrideFor(undefined)}
        />
      )}
      <p class="co-error" role="alert">
        {error || (blocked ? t('blockedHint') : '')}
      </p>
      <div class="co-actions co-totals">
        <span class="co-count">{t('lines', { n: lines.length })}</span>
        <button type="button" class="co-void" onClick={voidSale} disabled={busy}>
          {t('void')}
        </button>
        <button
          type="button"
          class="co-primary co-complete"
          onClick={() => void complete()}
          disabled={!canComplete}
        >
          {busy ? t('completing') : t('complete')}
        </button>
      </div>
    </section>
  );
}
