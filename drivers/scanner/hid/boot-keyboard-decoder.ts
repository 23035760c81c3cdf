import { controlChar, KEY, KEY_CHARS, keypadDigit, MOD } from './keyboard-usage-table.js';

/** One key press decoded from boot keyboard reports. */
export type KeyEvent =
  | { kind: 'char'; char: string }
  | { kind: 'enter' }
  | { kind: 'tab' }
  | { kind: 'ignored' };

/**
 * Decodes boot-protocol keyboard input reports (HID 1.11 Appendix B.1: modifier byte, reserved
 * byte, six key usage slots) into key presses. A press is a usage that was not down in the
 * previous report; a release report (all zero) ends it, so a repeated character (`11`) arrives
 * as press, release, press. Alt held while keypad digits are typed yields one character on Alt
 * release (Alt+0029 = GS), the other common way scanners send GS in keyboard mode.
 */
export class BootKeyboardDecoder {
  readonly #reportId: number | undefined;
  #down = new Set<number>();
  #altCode: string | undefined;

  constructor(reportId?: number) {
    this.#reportId = reportId;
  }

  reset(): void {
    this.#down = new Set();
    this.#altCode = undefined;
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
      const code = Number.parseInt(this.#altCode, 10);
      if (this.#altCode !== '' && code > 0 && code < 256)
        events.push({ kind: 'char', char: String.fromCharCode(code) });
      this.#altCode = undefined;
    }
    const down = new Set(keys);
    for (const usage of keys) {
      if (this.#down.has(usage)) continue;
      events.push(this.#press(usage, modifiers));
    }
    this.#down = down;
    return events.filter((e) => e.kind !== 'ignored');
  }

  #press(usage: number, modifiers: number): KeyEvent {
    const shift = (modifiers & MOD.shift) !== 0;
    if ((modifiers & MOD.alt) !== 0) {
      const digit = keypadDigit(usage);
      if (digit !== undefined) {
        this.#altCode = (this.#altCode ?? '') + String(digit);
        return { kind: 'ignored' };
      }
    }
    if ((modifiers & MOD.ctrl) !== 0) {
      const char = controlChar(usage, shift);
      return char === undefined ? { kind: 'ignored' } : { kind: 'char', char };
    }
    if (usage === KEY.enter || usage === KEY.keypadEnter) return { kind: 'enter' };
    if (usage === KEY.tab) return { kind: 'tab' };
    const chars = KEY_CHARS.get(usage);
    if (!chars) return { kind: 'ignored' };
    return { kind: 'char', char: chars[shift ? 1 : 0] };
  }
}
