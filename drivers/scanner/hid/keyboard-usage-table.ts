/**
 * Keyboard/Keypad page (0x07) usage IDs → characters, US layout, as the scanner means them
 * (HID Usage Tables §10). Ours, so the host's keyboard layout can never garble a code: a German
 * host maps 0x1C to `z`, a Russian one to `н`; a scanner set to US layout means `y`.
 */
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** usage → [unshifted, shifted] */
export const KEY_CHARS: ReadonlyMap<number, readonly [string, string]> = new Map<
  number,
  readonly [string, string]
>([
  ...[...LETTERS].map((c, i) => [0x04 + i, [c, c.toUpperCase()]] as const),
  ...[...'1234567890'].map((c, i) => [0x1e + i, [c, '!@#$%^&*()'[i]!]] as const),
  [0x2c, [' ', ' ']],
  [0x2d, ['-', '_']],
  [0x2e, ['=', '+']],
  [0x2f, ['[', '{']],
  [0x30, [']', '}']],
  [0x31, ['\\', '|']],
  [0x32, ['#', '~']], // Non-US # and ~
  [0x33, [';', ':']],
  [0x34, ["'", '"']],
  [0x35, ['`', '~']],
  [0x36, [',', '<']],
  [0x37, ['.', '>']],
  [0x38, ['/', '?']],
  // Keypad: scanners send digits here in "keypad emulation" mode; Num Lock state is ignored.
  [0x54, ['/', '/']],
  [0x55, ['*', '*']],
  [0x56, ['-', '-']],
  [0x57, ['+', '+']],
  ...[...'1234567890'].map((c, i) => [0x59 + i, [c, c]] as const),
  [0x63, ['.', '.']],
]);

export const KEY = {
  enter: 0x28,
  escape: 0x29,
  backspace: 0x2a,
  tab: 0x2b,
  keypadEnter: 0x58,
  capsLock: 0x39,
  /** Keyboard ErrorRollOver: the report says "too many keys", not which. */
  rollOver: 0x01,
} as const;

/** Modifier byte bits of a boot keyboard report (HID 1.11 Appendix B.1). */
export const MOD = {
  ctrl: 0x01 | 0x10,
  shift: 0x02 | 0x20,
  alt: 0x04 | 0x40,
} as const;

/** Keypad usage → digit, for Alt+keypad character codes (`Alt+0029` = GS on Windows-set scanners). */
export function keypadDigit(usage: number): number | undefined {
  if (usage >= 0x59 && usage <= 0x61) return usage - 0x58;
  if (usage === 0x62) return 0;
  return undefined;
}

/** Keys that type no character, by the names `keyboard.gs` accepts (HID Usage Tables §10). */
const NAMED: ReadonlyMap<number, string> = new Map<number, string>([
  [0x29, 'escape'],
  [0x2a, 'backspace'],
  ...Array.from({ length: 12 }, (_, i) => [0x3a + i, `f${i + 1}`] as [number, string]),
  [0x49, 'insert'],
  [0x4a, 'home'],
  [0x4b, 'pageup'],
  [0x4c, 'delete'],
  [0x4d, 'end'],
  [0x4e, 'pagedown'],
  [0x4f, 'right'],
  [0x50, 'left'],
  [0x51, 'down'],
  [0x52, 'up'],
]);

/** The name of a non-character key; `usage-0x..` for others that type nothing (undefined for Num Lock and modifiers). */
export function namedKey(usage: number): string | undefined {
  const name = NAMED.get(usage);
  if (name) return name;
  if (usage === 0x53 || (usage >= 0xe0 && usage <= 0xe7)) return undefined;
  return `usage-0x${usage.toString(16)}`;
}

/**
 * Ctrl+key → C0 control character, as a terminal would produce it: Ctrl+] = GS (0x1D) is how
 * scanners send FNC1 separators in keyboard mode; Ctrl+M = CR and Ctrl+J = LF end a scan on
 * Symbol-family defaults; Ctrl+^ = RS and Ctrl+D = EOT carry ISO/IEC 15434. `layoutChar` is what
 * the key types unshifted in the scanner's layout (letters move on AZERTY/QWERTZ).
 */
export function controlChar(usage: number, shifted: boolean, layoutChar?: string): string | undefined {
  const letter = layoutChar && /^[a-z]$/.test(layoutChar) ? layoutChar : undefined;
  if (letter) return String.fromCharCode(letter.charCodeAt(0) - 0x60);
  if (usage >= 0x04 && usage <= 0x1d) return String.fromCharCode(usage - 0x04 + 1);
  const chars = KEY_CHARS.get(usage);
  const c = chars?.[shifted ? 1 : 0];
  switch (c) {
    case '2':
    case '@':
      return '\x00';
    case '[':
    case '{':
      return '\x1b';
    case '\\':
    case '|':
      return '\x1c';
    case ']':
    case '}':
      return '\x1d';
    case '6':
    case '^':
      return '\x1e';
    case '-':
    case '_':
      return '\x1f';
    default:
      return undefined;
  }
}
