import { useMemo, useRef } from 'preact/hooks';
import { GS, GS_MARK, ScanKeys, toFieldText } from './scan-keys.js';

export interface ScanFieldOptions {
  /** The configured stand-in the scanner sends for GS (`kiosk.wedge.gsSubstitute`). */
  gsSubstitute?: string | undefined;
  /** The field's new value after a handler changed it (keep the component's state in step). */
  onValue: (value: string) => void;
}

/** Event handlers for the scan field's <input>. */
export interface ScanFieldHandlers {
  onKeyDown: (event: KeyboardEvent) => void;
  onKeyUp: (event: KeyboardEvent) => void;
  onBeforeInput: (event: InputEvent) => void;
  onPaste: (event: ClipboardEvent) => void;
}

/**
 * Keeps GS in a text field a scanner types into (shell/scan-keys.ts says which chords mean GS):
 * the chord is swallowed and the visible mark ␝ inserted at the caret; text pasted or inserted with a
 * raw GS (or the substitute) gets the mark instead; Ctrl+M submits like Enter. The field's value
 * then holds ␝ where the code had GS, and `fromFieldText` turns it back for the scan data.
 * Spread the returned handlers on the <input> (they follow it when the field re-mounts).
 */
export function useScanField(options: ScanFieldOptions): ScanFieldHandlers {
  const latest = useRef(options);
  latest.current = options;
  const substitute = options.gsSubstitute;
  const keys = useRef<ScanKeys | undefined>(undefined);
  if (!keys.current || keys.current.substitute !== substitute) keys.current = new ScanKeys(substitute);
  /** When an Alt code was read as GS: the OS may still type the raw character after it. */
  const altGsAt = useRef(Number.NEGATIVE_INFINITY);
  return useMemo(() => {
    const insert = (field: HTMLInputElement, text: string) => {
      const start = field.selectionStart ?? field.value.length;
      const end = field.selectionEnd ?? start;
      field.setRangeText(text, start, end, 'end');
      latest.current.onValue(field.value);
    };
    const fieldOf = (event: Event) => event.currentTarget as HTMLInputElement;
    return {
      onKeyDown(event) {
        const mapped = keys.current!.keydown(event);
        if (mapped === 'gs') {
          event.preventDefault();
          insert(fieldOf(event), GS_MARK);
        } else if (mapped === 'alt-digit') {
          event.preventDefault();
        } else if (mapped === 'enter' && event.key !== 'Enter') {
          // Ctrl+M: submit as Enter would (Enter itself submits the form natively).
          event.preventDefault();
          fieldOf(event).form?.requestSubmit();
        }
      },
      onKeyUp(event) {
        const mapped = keys.current!.keyup(event);
        if (mapped === 'gs') {
          event.preventDefault();
          altGsAt.current = event.timeStamp;
          insert(fieldOf(event), GS_MARK);
        } else if (mapped === 'enter') {
          event.preventDefault();
          fieldOf(event).form?.requestSubmit();
        }
      },
      // Drop, IME and OS-composed characters: GS (raw or substitute) becomes the mark.
      onBeforeInput(event) {
        const data = event.data ?? event.dataTransfer?.getData('text/plain') ?? null;
        if (data === null) return;
        if (data === GS && event.timeStamp - altGsAt.current < 500) {
          // The Alt+0029 the keyup already inserted, typed again by the OS.
          event.preventDefault();
          return;
        }
        const text = toFieldText(data, substitute);
        if (text === data) return;
        event.preventDefault();
        insert(fieldOf(event), text);
      },
      onPaste(event) {
        const data = event.clipboardData?.getData('text/plain');
        if (data === undefined) return;
        const text = toFieldText(data, substitute);
        if (text === data) return;
        // A field would drop GS silently (and line breaks): paste the mapped text instead.
        event.preventDefault();
        insert(fieldOf(event), text);
      },
    } satisfies ScanFieldHandlers;
  }, [substitute]);
}
