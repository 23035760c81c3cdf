import type { HealthEntry } from '../../../terminal/http/wire-types.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { managerMessages } from './messages.js';
import { reasonText, titleOf } from './reasons.js';

/**
 * One tile per health component: green / amber / red with the reason (translated from its code and
 * params) and since when.
 */
export function Tiles(props: { items: HealthEntry[]; locale: Locale }) {
  const t = translator(managerMessages, props.locale);
  return (
    <section class="mg-tiles" aria-label={t('tiles')}>
      {props.items.map((item) => (
        <article
          key={item.component}
          class={`mg-tile mg-${item.level}`}
          data-component={item.component}
          data-level={item.level}
        >
          <header>
            <h3>{titleOf(item.component, props.locale)}</h3>
            <span class="mg-badge">{t(item.level)}</span>
          </header>
          <p class="mg-reason" data-code={item.code}>
            {reasonText(item, props.locale)}
          </p>
          <p class="mg-since">{t('since', { time: formatDate(item.since, props.locale, true) })}</p>
        </article>
      ))}
    </section>
  );
}
