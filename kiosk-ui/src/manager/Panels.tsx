import { useEffect, useState } from 'preact/hooks';
import type { ManagerOverview, ManagerReceipt } from '../../../terminal/http/wire-types.js';
import { api } from '../shell/api.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { reportReference } from '../shell/report-ref.js';
import { download, fetchBlob } from './manager-api.js';
import {
  type AlertField,
  alertFieldMessages,
  alertKindMessages,
  checkSourceMessages,
  jobKindMessages,
  jobStateMessages,
  linkMessages,
  managerMessages,
  recordTypeMessages,
  soldWhereMessages,
  verdictMessages,
  verdictReasonMessages,
} from './messages.js';
import { enumText } from './reasons.js';

type Props = { data: ManagerOverview; locale: Locale };

/** One payload value: fixed values in words, times as dates, free text (codes, notes) as it came. */
function fieldValue(name: string, value: unknown, locale: Locale) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return <AlertFields fields={value as Record<string, unknown>} locale={locale} />;
  if (typeof value !== 'string') return JSON.stringify(value);
  if (name === 'verdict') return enumText(verdictMessages, locale, value);
  if (name === 'where') return enumText(soldWhereMessages, locale, value);
  if (name === 'at' || name.endsWith('At')) return formatDate(value, locale, true);
  return value;
}

/** An alert's payload as labelled fields (labels for the known ones, the raw name otherwise). */
function AlertFields(props: { fields: Record<string, unknown>; locale: Locale }) {
  const labels: Record<string, string> = alertFieldMessages[props.locale];
  const shown = Object.entries(props.fields).filter(([name, v]) => name !== 'kind' && v !== undefined);
  return (
    <dl class="mg-alert-fields">
      {shown.map(([name, value]) => (
        <div key={name} data-field={name}>
          <dt>{Object.hasOwn(labels, name) ? labels[name as AlertField] : name}</dt>
          <dd>{fieldValue(name, value, props.locale)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Clone alerts, unknown codes and suspicious reports, newest first, each with its details. */
export function Alerts({ data, locale }: Props) {
  const t = translator(managerMessages, locale);
  return (
    <section class="mg-alerts">
      <h2>
        {t('alerts')} ({data.alerts.length})
      </h2>
      {data.alerts.length === 0 && <p>{t('noAlerts')}</p>}
      <ul>
        {data.alerts.map((a) => (
          <li key={a.id} data-kind={a.kind}>
            <details>
              <summary>
                <strong class="mg-alert-kind">{enumText(alertKindMessages, locale, a.kind)}</strong> ·{' '}
                {formatDate(a.at, locale, true)} ·{' '}
                <span class="mg-alert-ref">
                  {a.kind === 'suspicious_report' ? reportReference(a.seq) : `#${a.seq}`}
                </span>
              </summary>
              <AlertFields fields={a.details} locale={locale} />
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** An event's detail in the page's language from its parts; the server's English text otherwise. */
function eventDetail(e: ManagerOverview['events'][number], locale: Locale): string {
  const t = translator(managerMessages, locale);
  if (e.kind === 'record') return e.seq === undefined ? e.detail : t('recordSeq', { seq: e.seq });
  if (e.reason === undefined || e.source === undefined) return e.detail;
  const reason = enumText(verdictReasonMessages, locale, e.reason);
  const key = e.key ?? t('unreadable');
  const source = enumText(checkSourceMessages, locale, e.source);
  // Chinese: no typed space next to Han text (shell.css), full-width punctuation.
  if (locale === 'zh-CN') return `${source}${e.deviceId ?? ''}：${key}，${reason}`;
  return `${source}${e.deviceId ? ` ${e.deviceId}` : ''}: ${key} — ${reason}`;
}

export function EventLog({ data, locale }: Props) {
  const t = translator(managerMessages, locale);
  return (
    <section class="mg-events">
      <h2>{t('events')}</h2>
      <table>
        <tbody>
          {data.events.map((e, i) => (
            <tr key={`${e.at}-${i}`} class={`mg-ev-${e.kind}`} data-what={e.what}>
              <td>{formatDate(e.at, locale, true)}</td>
              <td>
                {e.kind === 'check'
                  ? enumText(verdictMessages, locale, e.what)
                  : enumText(recordTypeMessages, locale, e.what)}
              </td>
              <td>{eventDetail(e, locale)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Preview(props: { job: ManagerReceipt }) {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    let revoke: string | undefined;
    fetchBlob(`/api/v1/manager/receipts/${encodeURIComponent(props.job.id)}/preview.png`)
      .then((blob) => {
        revoke = URL.createObjectURL(blob);
        setUrl(revoke);
      })
      .catch(() => setUrl(undefined));
    return () => revoke && URL.revokeObjectURL(revoke);
  }, [props.job.id]);
  return url ? <img class="mg-preview" src={url} alt={props.job.id} /> : null;
}

/** Recent print jobs with a receipt preview on demand, and "reprint last receipt". */
export function Receipts({ data, locale }: Props) {
  const t = translator(managerMessages, locale);
  const [open, setOpen] = useState<string>();
  const [note, setNote] = useState('');
  const reprint = async () => {
    try {
      await api('/api/v1/manager/receipts/reprint', { body: {} });
      setNote(t('reprinted'));
    } catch (e) {
      setNote(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <section class="mg-receipts">
      <h2>{t('receipts')}</h2>
      <button type="button" onClick={() => void reprint()}>
        {t('reprint')}
      </button>
      <span class="mg-note">{note}</span>
      {data.receipts.length === 0 && <p>{t('noReceipts')}</p>}
      <ul>
        {data.receipts.map((j) => (
          <li key={j.id} data-job={j.id} data-kind={j.kind} data-state={j.state}>
            {formatDate(j.createdAt, locale, true)} ·{' '}
            <span class="mg-job-kind">{enumText(jobKindMessages, locale, j.kind)}</span> ·{' '}
            <span class="mg-job-state">{enumText(jobStateMessages, locale, j.state)}</span>{' '}
            <button type="button" onClick={() => setOpen(open === j.id ? undefined : j.id)}>
              {t('preview')}
            </button>
            {open === j.id && <Preview job={j} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Registry version and age, upstream link, and the ledger export. */
export function Details({ data, locale }: Props) {
  const t = translator(managerMessages, locale);
  const [day, setDay] = useState(() => new Date().toISOString().slice(0, 10));
  const r = data.registry;
  const u = data.upstream;
  const exportDay = async () =>
    download(await fetchBlob(`/api/v1/manager/ledger.csv?day=${day}`), `ledger-${day}.csv`);
  return (
    <section class="mg-details">
      <h2>{t('registry')}</h2>
      {r ? (
        <dl>
          <dt>{t('version')}</dt>
          <dd>
            {r.scope} v{r.version}
          </dd>
          <dt>{t('asOf')}</dt>
          <dd>
            {formatDate(r.asOf, locale, true)} ·{' '}
            {t('age', { hours: (r.ageMs / 3_600_000).toFixed(1), max: Math.round(r.maxAgeMs / 3_600_000) })}
          </dd>
          <dt>{t('expires')}</dt>
          <dd>{formatDate(r.expires, locale, true)}</dd>
          <dt>{t('units')}</dt>
          <dd>{r.units}</dd>
        </dl>
      ) : (
        <p>{t('noRegistry')}</p>
      )}
      {u && (
        <>
          <h2>{t('upstream')}</h2>
          <dl class="mg-upstream" data-link={u.link}>
            <dt>{t('upstream')}</dt>
            <dd>
              {enumText(linkMessages, locale, u.link)} · {t('backlog', { n: u.backlog })}
            </dd>
            <dt>{t('lastAck')}</dt>
            <dd>{formatDate(u.lastAckAt, locale, true) || '—'}</dd>
            <dt>{t('oldest')}</dt>
            <dd>{formatDate(u.oldestPendingAt, locale, true) || '—'}</dd>
          </dl>
        </>
      )}
      <h2>{t('export')}</h2>
      <label class="mg-export-day">
        {t('exportDay')}
        <input type="date" name="export-day" value={day} onInput={(e) => setDay(e.currentTarget.value)} />
      </label>
      <button type="button" onClick={() => void exportDay()}>
        {t('download')}
      </button>
    </section>
  );
}
