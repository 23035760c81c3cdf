import { useEffect, useRef, useState } from 'preact/hooks';
import type { KioskSettings } from '../../../terminal/http/wire-types.js';
import { WedgeCapture } from '../kiosk/wedge.js';
import { api } from '../shell/api.js';
import { useScanField } from '../shell/scan-field.js';
import { fromFieldText } from '../shell/scan-keys.js';

let wedgeSettings: Promise<KioskSettings['wedge'] | undefined> | undefined;
/** The terminal's keyboard-wedge settings (GS substitute), read once per page. */
function readWedgeSettings(): Promise<KioskSettings['wedge'] | undefined> {
  wedgeSettings ??= api<KioskSettings>('/api/v1/kiosk/settings').then(
    (s) => s.wedge,
    () => undefined,
  );
  return wedgeSettings;
}

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
  const [gsSubstitute, setGsSubstitute] = useState<string | undefined>();
  const onScan = useRef(props.onScan);
  onScan.current = props.onScan;
  const scanKeys = useScanField({ gsSubstitute, onValue: setValue });
  useEffect(() => {
    void readWedgeSettings().then((w) => setGsSubstitute(w?.gsSubstitute));
  }, []);
  useEffect(() => {
    const wedge = new WedgeCapture(
      (data) => onScan.current(data),
      () => {},
      { maxGapMs: 50, breakGapMs: 300, ...(gsSubstitute ? { gsSubstitute } : {}) },
    );
    const outsideFields = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      return !(target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA'));
    };
    const onKey = (event: KeyboardEvent) => {
      if (outsideFields(event)) wedge.key(event);
    };
    const onKeyUp = (event: KeyboardEvent) => {
      if (outsideFields(event)) wedge.keyUp(event);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('keyup', onKeyUp, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('keyup', onKeyUp, true);
      wedge.dispose();
    };
  }, [gsSubstitute]);
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
