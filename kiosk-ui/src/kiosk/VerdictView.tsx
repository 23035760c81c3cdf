import { useState } from 'preact/hooks';
import type { ReportResult, VerifyResult } from '../../../terminal/http/wire-types.js';
import { api } from '../shell/api.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { reportReference } from '../shell/report-ref.js';
import { unitName } from '../shell/split-units.js';
import { VerdictIcon } from './Icon.js';
import { headlineOf, isSuspicious, kioskMessages, toneOf } from './messages.js';

/** One line of product facts; `registry` is set when the registry's value differs from the pack's. */
interface Fact {
  field: string;
  label: string;
  value: string | undefined;
  registry?: string | undefined;
}

/** The big verdict screen: colour, icon and words first; then product facts, history, guidance. */
export function VerdictView(props: {
  result: VerifyResult;
  locale: Locale;
  hotline: string;
  onBack: () => void;
}) {
  const { result: r, locale } = props;
  const t = translator(kioskMessages, locale);
  const tone = toneOf(r.verdict);
  // The view stays mounted between verdicts (less DOM work per scan): report state belongs to one
  // check, so a new check reads as unreported without an extra render.
  type ReportState = { checkId: number; state: 'idle' | 'busy' | 'done' | 'failed'; ref?: string };
  const [saved, setReport] = useState<ReportState>({ checkId: 0, state: 'idle' });
  const report: ReportState = saved.checkId === r.checkId ? saved : { checkId: r.checkId, state: 'idle' };
  const sendReport = async () => {
    const checkId = r.checkId;
    setReport({ checkId, state: 'busy' });
    try {
      const res = await api<ReportResult>('/api/v1/reports', { body: { checkId } });
      setReport({ checkId, state: 'done', ref: reportReference(res.seq) });
    } catch {
      setReport({ checkId, state: 'failed' });
    }
  };
  const h = r.history;
  const history =
    h.checksHere === 0
      ? t('historyFirst')
      : h.checksHere === 1
        ? t('historyOnce', { last: formatDate(h.lastCheckedAt, locale, true) })
        : t('historyRepeat', {
            n: h.checksHere,
            first: formatDate(h.firstCheckedAt, locale, true),
            last: formatDate(h.lastCheckedAt, locale, true),
          });
  // Batch and use-by as printed on the pack (what the shopper can compare with the box in hand),
  // else the registry's; where the pack and the registry disagree, the registry's value beside it.
  const m = r.mismatch;
  const facts: Fact[] = [
    { field: 'product', label: t('product'), value: r.product?.names[locale] },
    { field: 'maker', label: t('maker'), value: r.product?.manufacturer },
    {
      field: 'batch',
      label: t('batch'),
      value: r.code?.batch ?? r.batch?.number,
      registry: m?.batch?.registered,
    },
    {
      field: 'produced',
      label: t('produced'),
      value: formatDate(r.batch?.productionDate ?? r.code?.productionDate, locale),
    },
    {
      field: 'expires',
      label: t('expires'),
      value: formatDate(r.code?.expiry ?? r.batch?.expiryDate, locale),
      registry: m?.expiry ? formatDate(m.expiry.registered, locale) : undefined,
    },
    { field: 'code', label: t('code'), value: r.code?.key },
  ];
  const headline = headlineOf(r);
  // An opened split pack (拆零): its parts left, in the headline ("opened pack, 7 of 10 left").
  const opened: Record<string, string | number> = r.split
    ? { n: r.split.remaining, N: r.split.packQuantity, unit: unitName(r.split.unit, locale, 1) }
    : {};
  return (
    <section
      class={`verdict tone-${tone}${r.verdict === 'malformed' ? ' verdict-simple' : ''}`}
      data-verdict={r.verdict}
      data-headline={headline}
      data-check-id={r.checkId}
    >
      <div class="verdict-head">
        <VerdictIcon tone={tone} />
        <div>
          <h1 class="verdict-title">{t(`title_${headline}`, opened)}</h1>
          <p class="verdict-body">{t(`body_${headline}`, opened)}</p>
          {r.sold && (
            <p class="verdict-sold">
              {r.sold.where === 'here'
                ? t('soldHere', { at: formatDate(r.sold.at, locale, true) })
                : t('soldElsewhere', { at: formatDate(r.sold.at, locale, true), store: r.sold.storeId })}
            </p>
          )}
        </div>
      </div>
      {r.verdict !== 'malformed' && (
        <div class="verdict-detail">
          <dl class="facts">
            {facts
              .filter((f) => f.value)
              .map((f) => (
                <div key={f.field} data-fact={f.field} class={f.registry ? 'fact-differs' : undefined}>
                  <dt>{f.label}</dt>
                  <dd>
                    <span class="on-pack">{f.value}</span>
                    {f.registry && (
                      <>
                        <span class="on-pack-note">{t('onPack')}</span>
                        <span class="registry-value">{t('registrySays', { value: f.registry })}</span>
                      </>
                    )}
                  </dd>
                </div>
              ))}
          </dl>
          {r.received && (
            <p class="received" data-fact="received">
              {r.received.at
                ? t('receivedOn', { date: formatDate(r.received.at, locale), supplier: r.received.supplier })
                : t('receivedFrom', { supplier: r.received.supplier })}
            </p>
          )}
          <p class="history">
            {history}
            {h.upstreamChecks !== undefined && ` · ${t('historyUpstream', { n: h.upstreamChecks })}`}
          </p>
          {isSuspicious(r.verdict) && (
            <div class="guidance">
              <p>{t('guidance')}</p>
              <p class="hotline">{t('hotline', { hotline: props.hotline })}</p>
              {report.state === 'done' ? (
                <p class="reported" role="status">
                  {t('reported', { ref: report.ref ?? '' })}
                </p>
              ) : (
                <button type="button" class="report" disabled={report.state === 'busy'} onClick={sendReport}>
                  {t('report')}
                </button>
              )}
              {report.state === 'failed' && <p role="alert">{t('reportFailed')}</p>}
            </div>
          )}
        </div>
      )}
      <button type="button" class="back" onClick={props.onBack}>
        {t('again')}
      </button>
    </section>
  );
}
