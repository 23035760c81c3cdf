/**
 * The one keyboard → scan mapping every page shares: the window-level wedge capture (kiosk/wedge.ts,
 * nothing focused) and every text field a scanner may type into (shell/scan-field.ts).
 *
 * A scanner in USB keyboard mode cannot type GS (0x1D, GS1 FNC1 between variable-length fields):
 * it sends a key chord instead (DOMAIN.md "Real devices"):
 * - Ctrl+] (US layout; usage 0x30 with Ctrl), also with Shift (Ctrl+}) on some tables;
 * - Alt+0029 on the numeric keypad (Windows Alt codes), the character arriving when Alt is released;
 * - a configured substitute character (`kiosk.wedge.gsSubstitute`, e.g. `|` or `~`);
 * - a browser that knows the control key reports `key: 'GroupSeparator'` (or keyCode 29).
 * CR may come as Enter or as Ctrl+M. A browser does nothing with these chords in a text field, so
 * unless the page maps them the GS is lost and `…10L2506<GS>21…` reads as batch `L250621…`.
 */

/** GS as the scan data carries it. */
export const GS = '\u001d';
/**
 * GS as a field shows it: U+241D SYMBOL FOR GROUP SEPARATOR, visible and accepted by the code reader
 * as GS (terminal/codes/normalize.ts), so a scan typed into a field stays one scan.
 */
export const GS_MARK = '\u241d';

/** What a keydown/keyup handler needs from a KeyboardEvent (a test passes plain objects). */
export interface ScanKeyEvent {
  key: string;
  code?: string;
  keyCode?: number;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  shiftKey?: boolean;
}

/**
 * `gs`: the key is a GS; `enter`: ends the scan (Enter, Ctrl+M); `alt-digit`: part of an Alt+keypad
 * code, swallowed until Alt is released; undefined: an ordinary key (typed as it is, or ignored).
 */
export type ScanKey = 'gs' | 'enter' | 'alt-digit' | undefined;

/** Ctrl+] / Ctrl+Shift+] / GroupSeparator: the chords a keyboard-mode scanner sends for GS. */
export function isGsChord(e: ScanKeyEvent): boolean {
  if (e.key === 'GroupSeparator' || e.key === GS) return true;
  // keyCode 29 is VK_NONCONVERT on Windows Japanese keyboards: only trust it when the key is unnamed.
  if (e.keyCode === 29 && (e.key === 'Unidentified' || e.key === '')) return true;
  if (!e.ctrlKey || e.altKey || e.metaKey) return false;
  // `code` names the physical key whatever the layout; `key` covers layouts that move `]`.
  return e.key === ']' || e.key === '}' || e.code === 'BracketRight';
}

/** Enter, or Ctrl+M (CR as a control chord). */
export function isEnterChord(e: ScanKeyEvent): boolean {
  if (e.key === 'Enter') return true;
  return e.ctrlKey && !e.altKey && !e.metaKey && (e.key === 'm' || e.key === 'M' || e.code === 'KeyM');
}

/**
 * Keydown/keyup classifier with the state an Alt+keypad code needs. One per input path (the window
 * wedge, each field); `gsSubstitute` is the configured stand-in character, if any.
 */
export class ScanKeys {
  #altDigits = '';
  /** The configured GS stand-in, if any. */
  readonly substitute: string | undefined;

  constructor(gsSubstitute?: string) {
    this.substitute = gsSubstitute || undefined;
  }

  keydown(e: ScanKeyEvent): ScanKey {
    if (isGsChord(e)) return 'gs';
    if (isEnterChord(e)) return 'enter';
    // Alt held, a keypad digit: Windows composes an Alt code from these (`code` is Numpad0–9 with
    // NumLock on or off, `key` a digit or a navigation key name).
    if (e.altKey && !e.ctrlKey && e.code?.startsWith('Numpad') && /^Numpad\d$/.test(e.code)) {
      this.#altDigits += e.code.slice(6);
      return 'alt-digit';
    }
    if (this.substitute && e.key === this.substitute && !e.ctrlKey && !e.altKey && !e.metaKey) return 'gs';
    return undefined;
  }

  /** Alt released after keypad digits: `gs` for Alt+0029 (or 029, 29), `enter` for Alt+013. */
  keyup(e: ScanKeyEvent): ScanKey {
    if (e.key !== 'Alt' || !this.#altDigits) return undefined;
    const value = Number(this.#altDigits);
    this.#altDigits = '';
    if (value === 29) return 'gs';
    if (value === 13) return 'enter';
    return undefined;
  }

  /** Whether an Alt code is being typed (its digits were swallowed). */
  get composing(): boolean {
    return this.#altDigits.length > 0;
  }
}

/** Text pasted or inserted into a scan field: GS (raw or the configured substitute) as the mark, line breaks dropped. */
export function toFieldText(text: string, gsSubstitute?: string): string {
  let out = text.replaceAll(GS, GS_MARK).replace(/[\r\n]+/g, '');
  if (gsSubstitute) out = out.replaceAll(gsSubstitute, GS_MARK);
  return out;
}

/** A field's value as scan data: the mark back to GS, surrounding blanks trimmed. */
export function fromFieldText(value: string): string {
  return value.trim().replaceAll(GS_MARK, GS);
}
