import { useEffect, useRef, useState } from 'preact/hooks';
import { WedgeCapture } from '../kiosk/wedge.js';

/**
 * Where scans come in: a text field (scanner or hand typing, Enter adds) plus keyboard-wedge
 * capture on the window for scans that arrive while focus is elsewhere (buttons, the basket).
 */
export function ScanInput(props: {
  label: string;
  hint: string;
  addLabel: string;
  onScan: (data: string) => void;
}) {
  const [value, setValue] = useState('');
  const onScan = useRef(props.onScan);
  onScan.current = props.onScan;
  useEffect(() => {
    const wedge = new WedgeCapture(
      (data) => onScan.current(data),
      () => {},
      { maxGapMs: 50, breakGapMs: 300 },
    );
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
      wedge.key(event);
    };
    window.addEventListener('keydown', onKey, true);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      wedge.dispose();
    };
  }, []);
  const submit = (event: Event) => {
    event.preventDefault();
    const data = value.trim();
    if (data) props.onScan(data);
    setValue('');
  };
  return (
    <form class="co-scan" onSubmit={submit}>
      <label>
        <span>{props.label}</span>
        <input
          name="scan"
          autocomplete="off"
          autofocus
          placeholder={props.hint}
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
      </label>
      <button type="submit">{props.addLabel}</button>
    </form>
  );
}
