import type { CheckResponse } from '../../../terminal/http/wire-types.js';
import type { Locale } from '../shell/i18n.js';
import { translator } from '../shell/i18n.js';
import { partLabel, unitName } from '../shell/split-units.js';
import { checkoutMessages, reasonText } from './messages.js';

export interface Line {
  id: number;
  data: string;
  check?: CheckResponse;
  /** Set when the terminal refused this line at completion (e.g. sold at another lane meanwhile). */
  refusal?: string;
  override?: { reason: string; token: string; by: string };
  /** Split packs (拆零): parts of the pack this line sells; unset sells the pack (or what is left). */
  quantity?: number;
  /** The pack as last checked (the field stays while a new quantity is checked). */
  split?: CheckResponse['split'];
}

/** Whether the line may go into the sale as it stands. */
export function lineSellable(line: Line): boolean {
  if (!line.check || line.refusal) return false;
  return line.check.sellable || (line.check.overridable && line.override !== undefined);
}

export function BasketLine(props: {
  line: Line;
  locale: Locale;
  onRemove: () => void;
  onOverride: () => void;
  onQuantity: (quantity: number | undefined) => void;
}) {
  const { line, locale } = props;
  const t = translator(checkoutMessages, locale);
  const words = reasonText[locale];
  const check = line.check;
  // Kept while a quantity is re-checked, so the field stays where the cashier typed.
  const split = check?.split ?? line.split;
  const name = check?.product?.names[locale] ?? check?.codeKey ?? line.data;
  const ok = lineSellable(line);
  const state = !check ? 'pending' : ok ? (line.override ? 'overridden' : 'ok') : 'stopped';
  // The reason's own words where the page has them (a mismatch, a product-only barcode), else the verdict's.
  const reason =
    line.refusal ?? (check ? (words[check.reason] ?? words[check.verdict] ?? check.verdict) : '');
  return (
    <li
      class={`co-line co-${state}`}
      data-state={state}
      data-verdict={check?.verdict ?? ''}
      data-key={check?.codeKey ?? ''}
    >
      <div class="co-line-main">
        <span class="co-name">{name}</span>
        {check?.codeTail && <span class="co-tail">…{check.codeTail}</span>}
        {split && split.remaining < split.packQuantity && (
          <span class="co-opened">{t('opened', { n: split.remaining, N: split.packQuantity })}</span>
        )}
        {split && (
          <label class="co-quantity">
            {t('quantity', { unit: unitName(split.unit, locale) })}
            <input
              name="quantity"
              type="number"
              inputMode="numeric"
              min={1}
              max={split.packQuantity}
              value={line.quantity ?? ''}
              placeholder={String(split.remaining)}
              onChange={(e) => {
                const value = (e.currentTarget as HTMLInputElement).value.trim();
                props.onQuantity(value === '' ? undefined : Number(value));
              }}
            />
          </label>
        )}
      </div>
      <div class="co-line-verdict">
        {state === 'ok' && (
          <span class="co-badge co-badge-ok">
            ✓ {words.genuine}
            {line.quantity !== undefined &&
              split &&
              ` · ${partLabel({ ...split, quantity: line.quantity }, locale)}`}
          </span>
        )}
        {/* receiving.mode warn: sold, with the note the sale line records (docs/receiving.md). */}
        {check?.flag && state !== 'stopped' && (
          <span class="co-badge co-badge-warn" data-flag={check.flag}>
            {words[check.flag]}
          </span>
        )}
        {state === 'stopped' && <span class="co-badge co-badge-stop">{t('stopped', { reason })}</span>}
        {state === 'overridden' && line.override && (
          <span class="co-badge co-badge-warn">
            {t('overridden', { by: line.override.by, reason: line.override.reason })}
          </span>
        )}
      </div>
      <div class="co-line-actions">
        {check?.overridable && !line.override && !line.refusal && (
          <button type="button" class="co-override" onClick={props.onOverride}>
            {t('override')}
          </button>
        )}
        <button type="button" class="co-remove" onClick={props.onRemove}>
          {t('remove')}
        </button>
      </div>
    </li>
  );
}
