import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  CloseDeliveryRequest,
  DeliveryView,
  PutAsideReason,
  ReceivingDemoLabel,
  ReceivingStep,
  ScanAnswer,
} from '../../../terminal/http/wire-types.js';
import { ApiFailure } from '../shell/api.js';
import { type Locale, translator } from '../shell/i18n.js';
import { useScanField } from '../shell/scan-field.js';
import { fromFieldText } from '../shell/scan-keys.js';
import { playSound } from '../shell/sounds.js';
import { useWedge } from '../shell/use-wedge.js';
import { connectWs } from '../shell/ws.js';
import { CloseSheet } from './CloseSheet.js';
import { Counts, ScanBanner } from './Counts.js';
import { ExceptionList } from './ExceptionList.js';
import { outcomeNames, PUT_ASIDE_REASONS, reasonNames, receivingMessages } from './messages.js';
import { receivingApi } from './receiving-api.js';

type Mode = 'scan' | 'open' | 'aside';

/** Whether an answer is good news: checked in, opened, put aside (even a foreign code), or harmless. */
function soundOf(answer: ScanAnswer): 'ok' | 'problem' {
  return answer.ok || answer.action === 'put_aside' ? 'ok' : 'problem';
}

function sameCounts(a: DeliveryView['counts'], b: DeliveryView['counts']): boolean {
  return (
    a.expected === b.expected &&
    a.received === b.received &&
    a.missing === b.missing &&
    a.putAside === b.putAside &&
    a.extra === b.extra
  );
}

/** One delivery being received: counts, the last scan, actions, exception lines, demo labels. */
export function DeliveryScreen(props: {
  locale: Locale;
  deliveryId: string;
  onBack: () => void;
  onSessionEnded: () => void;
}) {
  const t = translator(receivingMessages, props.locale);
  const { deliveryId } = props;
  const [view, setView] = useState<DeliveryView | undefined>();
  const [answer, setAnswer] = useState<ScanAnswer | undefined>();
  const [error, setError] = useState('');
  const [mode, setMode] = useState<Mode>('scan');
  const [reason, setReason] = useState<PutAsideReason>('damaged');
  const [closing, setClosing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [labels, setLabels] = useState<ReceivingDemoLabel[]>([]);
  const [typed, setTyped] = useState('');
  // Scans run one after another in the order they were read.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const state = useRef({ mode, reason });
  state.current = { mode, reason };

  const failed = (e: unknown) => {
    if (e instanceof ApiFailure && e.status === 401) return props.onSessionEnded();
    setAnswer(undefined);
    setError(
      e instanceof ApiFailure && e.code !== 'network' ? t('failed', { message: e.message }) : t('offline'),
    );
    playSound('problem');
  };
  useEffect(() => {
    receivingApi.delivery(deliveryId).then(setView, failed);
    void receivingApi.demoLabels().then(setLabels);
  }, [deliveryId]);
  // Another handheld on the same delivery: its changes arrive over the WebSocket (counts only), and
  // the page reads the delivery again when they differ from what it shows (its own scans do not).
  const shown = useRef<DeliveryView | undefined>(undefined);
  shown.current = view;
  useEffect(
    () =>
      connectWs((m) => {
        if (m.type !== 'receiving' || m.data.deliveryId !== deliveryId) return;
        const now = shown.current;
        if (now && now.state === m.data.state && sameCounts(now.counts, m.data.counts)) return;
        receivingApi.delivery(deliveryId).then(setView, () => undefined);
      }),
    [deliveryId],
  );

  const run = (call: () => Promise<ReceivingStep>) => {
    queue.current = queue.current.then(async () => {
      setBusy(true);
      try {
        const step = await call();
        setView(step.delivery);
        setAnswer(step.answer);
        setError('');
        playSound(soundOf(step.answer));
      } catch (e) {
        failed(e);
      } finally {
        setBusy(false);
      }
    });
  };
  const onScan = (data: string) => {
    const { mode: m, reason: r } = state.current;
    if (m !== 'scan') setMode('scan');
    if (m === 'open') run(() => receivingApi.openContainer(deliveryId, data));
    else if (m === 'aside') run(() => receivingApi.putAside(deliveryId, data, r));
    else run(() => receivingApi.scan(deliveryId, data));
  };
  useWedge(onScan);
  const field = useScanField({ onValue: setTyped });
  const close = async (request: CloseDeliveryRequest) => {
    setBusy(true);
    try {
      const result = await receivingApi.close(deliveryId, request);
      setView(result.delivery);
      setClosing(false);
      setAnswer(undefined);
      setError('');
      playSound('ok');
    } catch (e) {
      failed(e);
    } finally {
      setBusy(false);
    }
  };

  if (!view)
    return (
      <section class="rc-delivery-screen">
        <button type="button" class="rc-back" onClick={props.onBack}>
          ← {t('back')}
        </button>
        {error ? <p class="rc-error">{error}</p> : <p class="rc-loading">…</p>}
      </section>
    );
  const closed = view.state === 'closed';
  return (
    <section
      class="rc-delivery-screen"
      data-delivery={view.deliveryId}
      data-state={view.state}
      data-busy={busy}
    >
      <div class="rc-title">
        <button type="button" class="rc-back" onClick={props.onBack} aria-label={t('back')}>
          ←
        </button>
        <div>
          <strong>{view.deliveryId}</strong>
          <span>{view.supplier.name}</span>
        </div>
      </div>
      <Counts locale={props.locale} counts={view.counts} />
      {closed ? (
        <div class="rc-banner" data-ok="closed" role="status">
          <strong>{t('closedAs', { outcome: outcomeNames[props.locale][view.outcome ?? 'partial'] })}</strong>
          {view.reason && <span> — {view.reason}</span>}
          {view.receiptId && <small>{t('receipt', { id: view.receiptId })}</small>}
        </div>
      ) : (
        <ScanBanner locale={props.locale} answer={answer} error={error} hint={t('scanPrompt')} />
      )}
      {!closed && !closing && (
        <div class="rc-modes">
          <button
            type="button"
            class="rc-mode-open"
            aria-pressed={mode === 'open'}
            onClick={() => setMode(mode === 'open' ? 'scan' : 'open')}
          >
            {t('openMode')}
          </button>
          <button
            type="button"
            class="rc-mode-aside"
            aria-pressed={mode === 'aside'}
            onClick={() => setMode(mode === 'aside' ? 'scan' : 'aside')}
          >
            {t('asideMode')}
          </button>
          <button type="button" class="rc-close-open" onClick={() => setClosing(true)}>
            {t('close')}
          </button>
        </div>
      )}
      {mode !== 'scan' && !closed && !closing && (
        <p class="rc-mode-hint" role="status">
          {mode === 'open' ? t('openHint') : t('asideHint')}
        </p>
      )}
      {mode === 'aside' && !closed && !closing && (
        <div class="rc-reasons">
          {PUT_ASIDE_REASONS.map((r) => (
            <button
              type="button"
              key={r}
              data-reason={r}
              aria-pressed={r === reason}
              onClick={() => setReason(r)}
            >
              {reasonNames[props.locale][r]}
            </button>
          ))}
        </div>
      )}
      {closing && !closed && (
        <CloseSheet
          locale={props.locale}
          missing={view.counts.missing}
          busy={busy}
          onClose={(r) => void close(r)}
          onCancel={() => setClosing(false)}
        />
      )}
      <ExceptionList
        locale={props.locale}
        exceptions={view.exceptions}
        total={view.exceptionsTotal}
        closed={closed}
        onPutAside={(key, r) => run(() => receivingApi.putAside(deliveryId, key, r))}
      />
      {!closed && (
        <details class="rc-typed">
          <summary>{t('typeCode')}</summary>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const data = fromFieldText(typed);
              if (data) onScan(data);
              setTyped('');
            }}
          >
            <input
              {...field}
              name="code"
              autocomplete="off"
              spellcheck={false}
              aria-label={t('typeCode')}
              value={typed}
              onInput={(e) => setTyped(e.currentTarget.value)}
            />
            <button type="submit">{t('enter')}</button>
          </form>
        </details>
      )}
      {labels.length > 0 && !closed && (
        <details class="rc-demo">
          <summary>{t('demoLabels')}</summary>
          <ul>
            {labels.map((l) => (
              <li key={l.data}>
                <button type="button" data-kind={l.kind} onClick={() => onScan(l.data)}>
                  {l.label[props.locale]}
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
