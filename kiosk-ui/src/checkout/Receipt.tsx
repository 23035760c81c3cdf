import type { SaleResponse } from '../../../terminal/http/wire-types.js';
import type { Locale } from '../shell/i18n.js';
import { formatDate, translator } from '../shell/i18n.js';
import { partLabel } from '../shell/split-units.js';
import { checkoutMessages } from './messages.js';

/** On-screen copy of the printed receipt: lines, code tails, verification marks, sale id (the QR's content). */
export function Receipt(props: { sale: SaleResponse; locale: Locale; onNext: () => void }) {
  const { sale, locale } = props;
  const t = translator(checkoutMessages, locale);
  return (
    <section class="co-receipt" aria-live="polite">
      <h2>{t('receiptTitle')}</h2>
      <p>{formatDate(sale.at, locale, true)}</p>
      <ol>
        {sale.lines.map((line, i) => (
          // By position: product-only lines (several packs of one product) share a code key.
          <li
            key={`${i}-${line.codeKey}`}
            data-code={line.codeKey}
            data-product-only={line.productOnly ? '' : undefined}
          >
            <span>{line.productName?.[locale] ?? line.productKey ?? line.codeKey}</span>
            <span class="co-tail">…{line.codeTail}</span>
            {line.part && <span class="co-part">{partLabel(line.part, locale)}</span>}
            <span class="co-mark">{line.override ? '[!]' : '[OK]'}</span>
          </li>
        ))}
      </ol>
      <p>
        {t('saleId')}: <code class="co-sale-id">{sale.saleId}</code>
      </p>
      <p class="co-printed">{t('receiptPrinted')}</p>
      <button type="button" class="co-primary co-next" onClick={props.onNext} autofocus>
        {t('newSale')}
      </button>
    </section>
  );
}
