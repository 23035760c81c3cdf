import { useEffect, useState } from 'preact/hooks';
import type { ReceivingDemoLabel } from '../../../terminal/http/wire-types.js';
import { receivingApi } from '../receiving/receiving-api.js';
import { type Locale, translator } from '../shell/i18n.js';
import { useScanField } from '../shell/scan-field.js';
import { fromFieldText } from '../shell/scan-keys.js';
import { stockMessages } from './messages.js';

/**
 * Below the scanning screen, as on /receiving: a field to type a code (a torn label) and, in the
 * demo, the demo delivery's labels to tap (the same labels: the demo stock is that delivery).
 */
export function ScanTools(props: { locale: Locale; onScan: (data: string) => void }) {
  const t = translator(stockMessages, props.locale);
  const [typed, setTyped] = useState('');
  const [labels, setLabels] = useState<ReceivingDemoLabel[]>([]);
  const field = useScanField({ onValue: setTyped });
  useEffect(() => {
    void receivingApi.demoLabels().then(setLabels);
  }, []);
  return (
    <>
      <details class="rc-typed">
        <summary>{t('typeCode')}</summary>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const data = fromFieldText(typed);
            if (data) props.onScan(data);
            setTyped('');
          }}
        >
          <input
            {...field}
            name="code"
            autocomplete="off"
            spellcheck={false}
            aria-label={t('typeCode')}
            value={typed}
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
          <button type="submit">{t('enter')}</button>
        </form>
      </details>
      {labels.length > 0 && (
        <details class="rc-demo">
          <summary>{t('demoLabels')}</summary>
          <ul>
            {labels.map((l) => (
              <li key={l.data}>
                <button type="button" data-kind={l.kind} onClick={() => props.onScan(l.data)}>
                  {l.label[props.locale]}
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
