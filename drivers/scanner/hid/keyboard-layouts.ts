import type { KeyboardLayoutId } from '../options.js';
import { KEY_CHARS } from './keyboard-usage-table.js';

/**
 * What a key types under the scanner's own keyboard layout setting: a scanner set to AZERTY sends
 * Shift + the key under `0` to type `0` (unshifted it is `à`), so the usage ids must be read with
 * the same layout or `0123` becomes `)!@#`. Tables follow the Windows layouts of the same names
 * (kbdfr, kbdbe, kbdgr, kbdsg, kbdsp, kbdit, kbduk) for the keys a barcode can need; a trailing
 * `*` marks a dead key (it types its accent only when followed by Space).
 */
export interface KeyboardLayout {
  id: KeyboardLayoutId;
  /** usage → [unshifted, shifted, AltGr] ('' = nothing) */
  keys: ReadonlyMap<number, readonly [string, string, string]>;
}

type Row = readonly [number, string, string, string?];

/** Letter positions that differ from US: [usage, letter]. */
const AZERTY_LETTERS: Row[] = [
  [0x04, 'q', 'Q'],
  [0x14, 'a', 'A'],
  [0x1a, 'z', 'Z'],
  [0x1d, 'w', 'W'],
  [0x33, 'm', 'M'],
];
const QWERTZ_LETTERS: Row[] = [
  [0x1c, 'z', 'Z'],
  [0x1d, 'y', 'Y'],
];

const OVERRIDES: Record<KeyboardLayoutId, Row[]> = {
  us: [[0x64, '\\', '|']],
  uk: [
    [0x1f, '2', '"'],
    [0x20, '3', '£'],
    [0x21, '4', '$', '€'],
    [0x34, "'", '@'],
    [0x31, '#', '~'],
    [0x32, '#', '~'],
    [0x35, '`', '¬', '¦'],
    [0x64, '\\', '|'],
  ],
  fr: [
    ...AZERTY_LETTERS,
    [0x1e, '&', '1'],
    [0x1f, 'é', '2', '~*'],
    [0x20, '"', '3', '#'],
    [0x21, "'", '4', '{'],
    [0x22, '(', '5', '['],
    [0x23, '-', '6', '|'],
    [0x24, 'è', '7', '`*'],
    [0x25, '_', '8', '\\'],
    [0x26, 'ç', '9', '^'],
    [0x27, 'à', '0', '@'],
    [0x2d, ')', '°', ']'],
    [0x2e, '=', '+', '}'],
    [0x2f, '^*', '¨*'],
    [0x30, '$', '£', '¤'],
    [0x31, '*', 'µ'],
    [0x32, '*', 'µ'],
    [0x34, 'ù', '%'],
    [0x35, '²', ''],
    [0x10, ',', '?'],
    [0x36, ';', '.'],
    [0x37, ':', '/'],
    [0x38, '!', '§'],
    [0x64, '<', '>'],
    [0x08, 'e', 'E', '€'],
  ],
  be: [
    ...AZERTY_LETTERS,
    [0x1e, '&', '1', '|'],
    [0x1f, 'é', '2', '@'],
    [0x20, '"', '3', '#'],
    [0x21, "'", '4'],
    [0x22, '(', '5'],
    [0x23, '§', '6', '^'],
    [0x24, 'è', '7'],
    [0x25, '!', '8'],
    [0x26, 'ç', '9', '{'],
    [0x27, 'à', '0', '}'],
    [0x2d, ')', '°'],
    [0x2e, '-', '_'],
    [0x2f, '^*', '¨*', '['],
    [0x30, '$', '*', ']'],
    [0x31, 'µ', '£', '`*'],
    [0x32, 'µ', '£', '`*'],
    [0x34, 'ù', '%', '´*'],
    [0x35, '²', '³'],
    [0x10, ',', '?'],
    [0x36, ';', '.'],
    [0x37, ':', '/'],
    [0x38, '=', '+', '~*'],
    [0x64, '<', '>', '\\'],
    [0x08, 'e', 'E', '€'],
  ],
  de: [
    ...QWERTZ_LETTERS,
    [0x1f, '2', '"', '²'],
    [0x20, '3', '§', '³'],
    [0x21, '4', '$'],
    [0x22, '5', '%'],
    [0x23, '6', '&'],
    [0x24, '7', '/', '{'],
    [0x25, '8', '(', '['],
    [0x26, '9', ')', ']'],
    [0x27, '0', '=', '}'],
    [0x2d, 'ß', '?', '\\'],
    [0x2e, '´*', '`*'],
    [0x2f, 'ü', 'Ü'],
    [0x30, '+', '*', '~'],
    [0x31, '#', "'"],
    [0x32, '#', "'"],
    [0x33, 'ö', 'Ö'],
    [0x34, 'ä', 'Ä'],
    [0x35, '^*', '°'],
    [0x36, ',', ';'],
    [0x37, '.', ':'],
    [0x38, '-', '_'],
    [0x64, '<', '>', '|'],
    [0x14, 'q', 'Q', '@'],
    [0x08, 'e', 'E', '€'],
    [0x10, 'm', 'M', 'µ'],
  ],
  ch: [
    ...QWERTZ_LETTERS,
    [0x1e, '1', '+', '¦'],
    [0x1f, '2', '"', '@'],
    [0x20, '3', '*', '#'],
    [0x21, '4', 'ç'],
    [0x22, '5', '%'],
    [0x23, '6', '&', '¬'],
    [0x24, '7', '/', '|'],
    [0x25, '8', '(', '¢'],
    [0x26, '9', ')'],
    [0x27, '0', '='],
    [0x2d, "'", '?', '´*'],
    [0x2e, '^*', '`*', '~*'],
    [0x2f, 'ü', 'è', '['],
    [0x30, '¨*', '!', ']'],
    [0x31, '$', '£', '}'],
    [0x32, '$', '£', '}'],
    [0x33, 'ö', 'é'],
    [0x34, 'ä', 'à', '{'],
    [0x35, '§', '°'],
    [0x36, ',', ';'],
    [0x37, '.', ':'],
    [0x38, '-', '_'],
    [0x64, '<', '>', '\\'],
    [0x08, 'e', 'E', '€'],
  ],
  es: [
    [0x1e, '1', '!', '|'],
    [0x1f, '2', '"', '@'],
    [0x20, '3', '·', '#'],
    [0x21, '4', '$', '~*'],
    [0x22, '5', '%', '€'],
    [0x23, '6', '&', '¬'],
    [0x24, '7', '/'],
    [0x25, '8', '('],
    [0x26, '9', ')'],
    [0x27, '0', '='],
    [0x2d, "'", '?'],
    [0x2e, '¡', '¿'],
    [0x2f, '`*', '^*', '['],
    [0x30, '+', '*', ']'],
    [0x31, 'ç', 'Ç', '}'],
    [0x32, 'ç', 'Ç', '}'],
    [0x33, 'ñ', 'Ñ'],
    [0x34, '´*', '¨*', '{'],
    [0x35, 'º', 'ª', '\\'],
    [0x36, ',', ';'],
    [0x37, '.', ':'],
    [0x38, '-', '_'],
    [0x64, '<', '>'],
    [0x08, 'e', 'E', '€'],
  ],
  it: [
    [0x1f, '2', '"'],
    [0x20, '3', '£'],
    [0x21, '4', '$'],
    [0x22, '5', '%', '€'],
    [0x23, '6', '&'],
    [0x24, '7', '/'],
    [0x25, '8', '('],
    [0x26, '9', ')'],
    [0x27, '0', '='],
    [0x2d, "'", '?'],
    [0x2e, 'ì', '^'],
    [0x2f, 'è', 'é', '['],
    [0x30, '+', '*', ']'],
    [0x31, 'ù', '§'],
    [0x32, 'ù', '§'],
    [0x33, 'ò', 'ç', '@'],
    [0x34, 'à', '°', '#'],
    [0x35, '\\', '|'],
    [0x36, ',', ';'],
    [0x37, '.', ':'],
    [0x38, '-', '_'],
    [0x64, '<', '>'],
    [0x08, 'e', 'E', '€'],
  ],
};

const cache = new Map<KeyboardLayoutId, KeyboardLayout>();

/** The key table of a layout: US positions with that layout's differences applied. */
export function keyboardLayout(id: KeyboardLayoutId): KeyboardLayout {
  const known = cache.get(id);
  if (known) return known;
  const keys = new Map<number, readonly [string, string, string]>();
  for (const [usage, [plain, shifted]] of KEY_CHARS) keys.set(usage, [plain, shifted, '']);
  for (const [usage, plain, shifted, altGr] of OVERRIDES[id]) keys.set(usage, [plain, shifted, altGr ?? '']);
  const layout = { id, keys };
  cache.set(id, layout);
  return layout;
}
