import type { PutAsideReason, ReceivingException } from '../../../terminal/http/wire-types.js';
import { type Locale, translator } from '../shell/i18n.js';
import { tailOf } from './Counts.js';
import { exceptionNames, receivingMessages } from './messages.js';

/** One line per unit or container with exceptions: its reasons together, put aside if any row is. */
interface Line {
  key: string;
  reasons: string[];
  putAside: boolean;
}

function linesOf(exceptions: ReceivingException[]): Line[] {
  const byKey = new Map<string, Line>();
  for (const e of exceptions) {
    const line = byKey.get(e.key);
    if (!line) byKey.set(e.key, { key: e.key, reasons: [e.reason], putAside: e.putAside });
    else {
      if (!line.reasons.includes(e.reason)) line.reasons.push(e.reason);
      line.putAside ||= e.putAside;
    }
  }
  return [...byKey.values()];
}

/** The put-aside reason a line's own reason maps to (registry reasons without one: `other`). */
export function asideReasonOf(reasons: string[]): PutAsideReason {
  for (const r of ['recalled', 'foreign', 'expired', 'damaged'] as const) if (reasons.includes(r)) return r;
  return 'other';
}

/** The exception lines, newest first, each with a one-tap "put aside" while it is only flagged. */
export function ExceptionList(props: {
  locale: Locale;
  exceptions: ReceivingException[];
  total: number;
  closed: boolean;
  onPutAside: (key: string, reason: PutAsideReason) => void;
}) {
  const t = translator(receivingMessages, props.locale);
  const lines = linesOf(props.exceptions);
  return (
    <section class="rc-exceptions">
      <h2>{t('exceptions', { n: lines.length })}</h2>
      {lines.length === 0 ? (
        <p class="rc-empty">{t('noExceptions')}</p>
      ) : (
        <ul>
          {lines.map((l) => (
            <li
              key={l.key}
              class="rc-exception"
              data-key={l.key}
              data-reasons={l.reasons.join(' ')}
              data-put-aside={String(l.putAside)}
            >
              <span class="rc-exception-text">
                <span class="rc-key">{tailOf(l.key)}</span>
                <span>
                  {l.reasons
                    .map((r) => exceptionNames[props.locale][r as keyof (typeof exceptionNames)['en']] ?? r)
                    .join(props.locale === 'zh-CN' ? '、' : ' · ')}
                </span>
              </span>
              {l.putAside ? (
                <span class="rc-aside-badge">{t('putAsideDone')}</span>
              ) : (
                !props.closed && (
                  <button
                    type="button"
                    class="rc-aside-line"
                    onClick={() => props.onPutAside(l.key, asideReasonOf(l.reasons))}
                  >
                    {t('putAsideButton')}
                  </button>
                )
              )}
            </li>
          ))}
        </ul>
      )}
      {props.total > props.exceptions.length && (
        <p class="rc-more">+{props.total - props.exceptions.length}</p>
      )}
    </section>
  );
}
