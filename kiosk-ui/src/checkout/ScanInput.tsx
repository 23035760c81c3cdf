import { useState } from 'preact/hooks';
import { useScanField } from '../shell/scan-field.js';
import { fromFieldText } from '../shell/scan-keys.js';
import { useWedge } from '../shell/use-wedge.js';

/**
 * Where scans come in: a text field (scanner or hand typing, Enter adds; GS chords kept as ␝, see
 * shell/scan-field.ts) plus keyboard-wedge capture on the window for scans that arrive while focus
 * is elsewhere (buttons, the basket). Both read keys through the same mapping (shell/scan-keys.ts).
 */
export function ScanInput(props: {
  label: string;
  hint: string;
  addLabel: string;
  onScan: (data: string) => void;
}) {
  const [value, setValue] = useState('');
  // Scans that arrive while focus is elsewhere (buttons, the basket), read as every page reads them.
  const gsSubstitute = useWedge(props.onScan);
  const scanKeys = useScanField({ gsSubstitute, onValue: setValue });
  const submit = (event: Event) => {
    event.preventDefault();
    const data = fromFieldText(value);
    if (data) props.onScan(data);
    setValue('');
  };
  return (
    <form class="co-scan" onSubmit={submit}>
      <label>
        <span>{props.label}</span>
        <input
          {...scanKeys}
          name="scan"
          autocomplete="off"
          autofocus
          spellcheck={false}
          placeholder={props.hint}
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </label>
      <button type="submit">{props.addLabel}</button>
    </form>
  );
}
