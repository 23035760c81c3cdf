import type { StockScanAnswerView } from '../../../terminal/http/wire-types.js';
import { tailOf } from '../receiving/Counts.js';
import { type Locale, translator } from '../shell/i18n.js';
import { scanProblemNames, stateNames, stockMessages, targetNames } from './messages.js';

/** The sentence for what a scan did, in the page's language. */
function headOf(a: StockScanAnswerView, locale: Locale): string {
  const t = translator(stockMessages, locale);
  const target = targetNames[locale][a.target];
  switch (a.result) {
    case 'found':
      return a.target === 'unit' ? t('found') : t('foundUnits', { target, n: a.units });
    case 'extra':
      return t('extraUnit');
    case 'added':
      return t('added', { target, n: a.units });
    case 'removed':
      return t('removed', { target, n: a.units });
    case 'refused':
      return t('refused');
    case 'already_scanned':
      return t('alreadyScanned');
    case 'unreadable':
      return t('unreadable');
    default:
      return scanProblemNames[locale].session_closed!;
  }
}

/** Problem codes that only say "not on hand": the unit's state says it better. */
const SAID_BY_STATE = new Set(['extra', 'not_on_hand', 'destroyed', 'left_stock', 'already_sold']);

/** Whether a scan is good news (one beep) or needs a look (the buzz). */
export function soundOf(a: StockScanAnswerView): 'ok' | 'problem' {
  return a.ok || a.result === 'removed' ? 'ok' : 'problem';
}

/** What the last scan did and what is wrong with it, in the receiving page's coloured banner. */
export function StockBanner(props: {
  locale: Locale;
  answer?: StockScanAnswerView;
  error?: string;
  hint: string;
}) {
  const { answer } = props;
  if (props.error)
    return (
      <div class="rc-banner" data-ok="false" role="status">
        {props.error}
      </div>
    );
  if (!answer)
    return (
      <div class="rc-banner" data-ok="idle" role="status">
        {props.hint}
      </div>
    );
  const t = translator(stockMessages, props.locale);
  // The head already says "extra" or "not in stock": the line below says which state instead.
  const problems = answer.problems.filter((p) => !SAID_BY_STATE.has(p.code));
  const state =
    answer.state && answer.state !== 'on_hand' ? stateNames[props.locale][answer.state] : undefined;
  return (
    <div class="rc-banner" data-ok={String(answer.ok)} data-result={answer.result} role="status">
      <strong>
        {headOf(answer, props.locale)} <span class="rc-key">{tailOf(answer.key)}</span>
      </strong>
      {(problems.length > 0 || state) && (
        <ul>
          {state && <li data-state={answer.state}>{t('stateIs', { state })}</li>}
          {problems.slice(0, 3).map((p) => (
            <li key={`${p.code}-${p.key}`} data-code={p.code}>
              {scanProblemNames[props.locale][p.code] ?? p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
