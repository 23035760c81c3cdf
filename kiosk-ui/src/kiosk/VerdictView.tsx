import { useState } from 'preact/hooks';
import type { ReportResult, VerifyResult } from '../../../terminal/http/wire-types.js';
import { api } from '../shell/api.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { reportReference } from '../shell/report-ref.js';
import { VerdictIcon } from './Icon.js';
import { isSuspicious, kioskMessages, toneOf } from './messages.js';

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
  const facts: [string, string | undefined][] = [
    [t('product'), r.product?.names[locale]],
    [t('maker'), r.product?.manufacturer],
    [t('batch'), r.batch?.number ?? r.code?.batch],
    [t('produced'), formatDate(r.batch?.productionDate ?? r.code?.productionDate, locale)],
    [t('expires'), formatDate(r.batch?.expiryDate ?? r.code?.expiry, locale)],
    [t('code'), r.code?.key],
  ];
  return (
    <section
      class={`verdict tone-${tone}${r.verdict === 'malformed' ? ' verdict-simple' : ''}`}
      data-verdict={r.verdict}
      data-check-id={r.checkId}
    >
      <div class="verdict-head">
        <VerdictIcon tone={tone} />
        <div>
          <h1 class="verdict-title">{t(`title_${r.verdict}`)}</h1>
          <p class="verdict-body">{t(`body_${r.verdict}`)}</p>
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
              .filter(([, v]) => v)
              .map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
          </dl>
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
