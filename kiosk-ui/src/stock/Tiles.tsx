import { type Locale, translator } from '../shell/i18n.js';
import type { StocktakeCounts } from './differences.js';
import { stockMessages } from './messages.js';

/** The live numbers in receiving's big tiles: scanned / expected / missing / extra / bad. */
export function Tiles(props: { locale: Locale; counts?: StocktakeCounts }) {
  const t = translator(stockMessages, props.locale);
  const tile = (key: keyof StocktakeCounts, alert: boolean) => (
    <div class="rc-count" data-count={key} data-alert={alert}>
      <span class="rc-count-n">{props.counts ? props.counts[key] : '–'}</span>
      <span class="rc-count-label">{t(key)}</span>
    </div>
  );
  const c = props.counts;
  return (
    <section class="rc-counts st-counts" aria-live="polite">
      {tile('scanned', false)}
      {tile('expected', false)}
      {tile('missing', (c?.missing ?? 0) > 0)}
      {tile('extra', (c?.extra ?? 0) > 0)}
      {tile('bad', (c?.bad ?? 0) > 0)}
    </section>
  );
}
