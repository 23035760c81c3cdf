import type { HealthEntry } from '../../../terminal/http/wire-types.js';
import { formatDate, type Locale, translator } from '../shell/i18n.js';
import { componentNames, managerMessages } from './messages.js';

function titleOf(component: string, locale: Locale): string {
  const [kind, id] = component.split(':');
  const name = componentNames[locale][kind ?? component] ?? component;
  return id ? `${name} ${id}` : name;
}

/** One tile per health component: green / amber / red with the reason and since when. */
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
          <p class="mg-reason">{item.reason}</p>
          <p class="mg-since">{t('since', { time: formatDate(item.since, props.locale, true) })}</p>
        </article>
      ))}
    </section>
  );
}
