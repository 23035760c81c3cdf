import iconv from 'iconv-lite';
import type { KeyboardLayoutId, KeyboardSettings } from '../options.js';
import { type KeyboardLayout, keyboardLayout } from './keyboard-layouts.js';
import { controlChar, KEY, keypadDigit, MOD, namedKey } from './keyboard-usage-table.js';

/** One key press decoded from boot keyboard reports. */
export type KeyEvent =
  | { kind: 'char'; char: string }
  | { kind: 'enter' }
  | { kind: 'tab' }
  /** A key that types no character (Down, F5…), by name; `usage-0x..` when it has none. */
  | { kind: 'key'; name: string };

export interface BootKeyboardDecoderOptions {
  /** Report id prefixed to keyboard reports on a composite device. */
  reportId?: number | undefined;
  layout?: KeyboardLayoutId;
  capsLock?: KeyboardSettings['capsLock'];
  altCodePage?: KeyboardSettings['altCodePage'];
}

const LEFT_ALT = 0x04;
const RIGHT_ALT = 0x40;

/**
 * Decodes boot-protocol keyboard input reports (HID 1.11 Appendix B.1: modifier byte, reserved
 * byte, six key usage slots) into key presses, reading usages with the scanner's own layout
 * setting. A press is a usage that was not down in the previous report; a release report (all
 * zero) ends it, so a repeated character (`11`) arrives as press, release, press.
 *
 * - AltGr (Right Alt, or Ctrl+Left Alt as Windows treats it) selects a layout's third level:
 *   `]` is AltGr+9 on QWERTZ, AltGr+`)` on AZERTY.
 * - Alt held while keypad digits are typed yields one character on Alt release (Alt+0029 = GS):
 *   with a leading 0 from windows-1252, without it from the OEM code page (cp437 by default).
 * - Caps Lock pressed by the scanner toggles the case of letters, as a host would.
 */
export class BootKeyboardDecoder {
  readonly #reportId: number | undefined;
  readonly #layout: KeyboardLayout;
  readonly #capsMode: KeyboardSettings['capsLock'];
  readonly #altCodePage: string;
  #down = new Set<number>();
  #altCode: string | undefined;
  #caps = false;
  #dead: string | undefined;

  constructor(options: BootKeyboardDecoderOptions | number = {}) {
    const o = typeof options === 'number' ? { reportId: options } : options;
    this.#reportId = o.reportId;
    this.#layout = keyboardLayout(o.layout ?? 'us');
    this.#capsMode = o.capsLock ?? 'track';
    this.#altCodePage = o.altCodePage ?? 'cp437';
  }

  reset(): void {
    this.#down = new Set();
    this.#altCode = undefined;
    this.#caps = false;
    this.#dead = undefined;
  }

  /** Key presses in this report, in slot order. */
  decode(report: Uint8Array): KeyEvent[] {
    let body = report;
    if (this.#reportId !== undefined) {
      if (report[0] !== this.#reportId) return [];
      body = report.subarray(1);
    }
    if (body.length < 3) return [];
    const modifiers = body[0]!;
    const keys = [...body.subarray(2, 8)].filter((k) => k !== 0);
    if (keys.includes(KEY.rollOver)) return []; // phantom state: keep the previous key set
    const events: KeyEvent[] = [];
    const alt = (modifiers & MOD.alt) !== 0;
    if (!alt && this.#altCode !== undefined) {
      const char = this.#fromAltCode(this.#altCode);
      if (char !== undefined) events.push({ kind: 'char', char });
      this.#altCode = undefined;
    }
    const down = new Set(keys);
    for (const usage of keys) {
      if (this.#down.has(usage)) continue;
      const event = this.#press(usage, modifiers);
      if (event) events.push(...this.#withDeadKey(event));
    }
    this.#down = down;
    return events;
  }

  #press(usage: number, modifiers: number): KeyEvent | undefined {
    const shift = (modifiers & MOD.shift) !== 0;
    const ctrl = (modifiers & MOD.ctrl) !== 0;
    const altGr = (modifiers & RIGHT_ALT) !== 0 || (ctrl && (modifiers & LEFT_ALT) !== 0);
    if ((modifiers & MOD.alt) !== 0) {
      const digit = keypadDigit(usage);
      if (digit !== undefined) {
        this.#altCode = (this.#altCode ?? '') + String(digit);
        return undefined;
      }
    }
    if (usage === KEY.capsLock) {
      if (this.#capsMode === 'track') this.#caps = !this.#caps;
      return undefined;
    }
    if (usage === KEY.enter || usage === KEY.keypadEnter) return { kind: 'enter' };
    if (usage === KEY.tab) return { kind: 'tab' };
    const chars = this.#layout.keys.get(usage);
    if (ctrl && !altGr) {
      // Ctrl+letter by the letter the layout puts there (Ctrl+M = CR on AZERTY too).
      const char = controlChar(usage, shift, chars?.[0]);
      return char === undefined
        ? { kind: 'key', name: `ctrl-usage-0x${usage.toString(16)}` }
        : { kind: 'char', char };
    }
    if (!chars) {
      const name = namedKey(usage);
      return name === undefined ? undefined : { kind: 'key', name };
    }
    let char = altGr ? chars[2] : chars[shift ? 1 : 0];
    if (char === '') return { kind: 'key', name: `usage-0x${usage.toString(16)}${altGr ? '+altgr' : ''}` };
    const inverted = this.#caps !== (this.#capsMode === 'inverted');
    if (inverted && !altGr && /^[a-z]$/i.test(char)) {
      char = shift ? char.toLowerCase() : char.toUpperCase();
    }
    return { kind: 'char', char };
  }

  /** A dead key types its accent when followed by Space; before anything else, both are kept. */
  #withDeadKey(event: KeyEvent): KeyEvent[] {
    if (event.kind === 'char' && event.char.length === 2 && event.char.endsWith('*')) {
      const pending = this.#dead;
      this.#dead = event.char[0];
      return pending === undefined ? [] : [{ kind: 'char', char: pending }];
    }
    const pending = this.#dead;
    if (pending === undefined) return [event];
    this.#dead = undefined;
    if (event.kind === 'char' && event.char === ' ') return [{ kind: 'char', char: pending }];
    return [{ kind: 'char', char: pending }, event];
  }

  /**
   * Windows Alt codes: Alt+0NNN is windows-1252 (ANSI), Alt+NNN the OEM code page; below 32 both
   * are the C0 control character (Alt+0029 and Alt+29 are GS).
   */
  #fromAltCode(digits: string): string | undefined {
    if (digits === '') return undefined;
    const code = Number.parseInt(digits, 10);
    if (code <= 0) return undefined;
    const byte = code % 256;
    if (byte < 0x20 || byte === 0x7f) return String.fromCharCode(byte);
    const page = digits.startsWith('0') ? 'windows-1252' : this.#altCodePage;
    return iconv.decode(Buffer.of(byte), page);
  }
}
