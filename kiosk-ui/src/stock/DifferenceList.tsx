import { tailOf } from '../receiving/Counts.js';
import { type Locale, translator } from '../shell/i18n.js';
import type { DifferenceLine } from './differences.js';
import { differenceNames, stockMessages } from './messages.js';

/** One line per difference, in the receiving page's exception-line look. */
export function DifferenceList(props: { locale: Locale; lines: DifferenceLine[]; total: number }) {
  const t = translator(stockMessages, props.locale);
  const names = differenceNames[props.locale] as Record<string, string>;
  return (
    <section class="rc-exceptions st-differences">
      <h2>{t('differences', { n: props.total })}</h2>
      {props.total === 0 ? (
        <p class="rc-empty">{t('noDifferences')}</p>
      ) : (
        <ul>
          {props.lines.map((l) => (
            <li
              key={`${l.kind}-${l.key}`}
              class="rc-exception st-line"
              data-key={l.key}
              data-kind={l.kind}
              data-why={l.why}
            >
              <span class="rc-exception-text">
                <span class="rc-key">{tailOf(l.key)}</span>
                <span>{names[l.why] ?? l.why}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
      {props.total > props.lines.length && (
        <p class="rc-more">{t('more', { n: props.total - props.lines.length })}</p>
      )}
    </section>
  );
}
