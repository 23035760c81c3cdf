import type { DeliveryCountsView, ScanAnswer } from '../../../terminal/http/wire-types.js';
import { type Locale, translator } from '../shell/i18n.js';
import { problemNames, receivingMessages, targetNames } from './messages.js';

/** The four big numbers (expected / received / missing / extra) and the put-aside count. */
export function Counts(props: { locale: Locale; counts: DeliveryCountsView }) {
  const t = translator(receivingMessages, props.locale);
  const { counts } = props;
  const tile = (key: 'expected' | 'received' | 'missing' | 'extra', alert: boolean) => (
    <div class="rc-count" data-count={key} data-alert={alert}>
      <span class="rc-count-n">{counts[key]}</span>
      <span class="rc-count-label">{t(key)}</span>
    </div>
  );
  return (
    <section class="rc-counts" aria-live="polite">
      {tile('expected', false)}
      {tile('received', false)}
      {tile('missing', counts.missing > 0)}
      {tile('extra', counts.extra > 0)}
      <p class="rc-aside-count" data-count="putAside">
        {t('putAsideCount', { n: counts.putAside })}
      </p>
    </section>
  );
}

/** The short tail of a unit or container key a clerk can match against a label. */
export function tailOf(key: string): string {
  return key.length > 10 ? `…${key.slice(-8)}` : key;
}

/** What the last scan did and what is wrong with it, in one coloured banner. */
export function ScanBanner(props: { locale: Locale; answer?: ScanAnswer; error?: string; hint: string }) {
  const t = translator(receivingMessages, props.locale);
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
  const target = targetNames[props.locale][answer.target];
  const head =
    answer.action === 'checked_in'
      ? answer.target === 'unit'
        ? t('unitCheckedIn')
        : t('checkedIn', { target, n: answer.checkedIn })
      : answer.action === 'opened'
        ? t('opened', { target })
        : answer.action === 'put_aside'
          ? t('putAside', { target })
          : // Nothing changed: the problem lines say why (already checked in, not on the note, …).
            answer.problems.length > 0
            ? target
            : t('nothing', { target });
  return (
    <div class="rc-banner" data-ok={String(answer.ok)} data-action={answer.action} role="status">
      <strong>
        {head} <span class="rc-key">{tailOf(answer.key)}</span>
      </strong>
      {answer.problems.length > 0 && (
        <ul>
          {answer.problems.slice(0, 4).map((p) => (
            <li key={`${p.code}-${p.key}`} data-code={p.code}>
              {problemNames[props.locale][p.code]}
              {p.key !== answer.key && <span class="rc-key"> {tailOf(p.key)}</span>}
            </li>
          ))}
          {answer.problems.length > 4 && <li>+{answer.problems.length - 4}</li>}
        </ul>
      )}
    </div>
  );
}
