import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type KeyLike, WedgeCapture } from '../../../kiosk-ui/src/kiosk/wedge.js';
import {
  fromFieldText,
  GS_MARK,
  type ScanKeyEvent,
  ScanKeys,
  toFieldText,
} from '../../../kiosk-ui/src/shell/scan-keys.js';

/** Key events at chosen times (ms), as the browser's `event.timeStamp` would carry them. */
function keys(text: string, startMs: number, gapMs: number): KeyLike[] {
  return [...text].map((key, i) => ({
    key,
    ctrlKey: false,
    altKey: false,
    metaKey: false,
    timeStamp: startMs + i * gapMs,
    preventDefault: () => {},
  }));
}
const key = (k: string, t: number, ctrlKey = false): KeyLike => ({
  key: k,
  ctrlKey,
  altKey: false,
  metaKey: false,
  timeStamp: t,
  preventDefault: () => {},
});

describe('WedgeCapture (browser keyboard-wedge capture)', () => {
  let scans: string[];
  let typed: string[];
  let wedge: WedgeCapture;
  beforeEach(() => {
    vi.useFakeTimers();
    scans = [];
    typed = [];
    wedge = new WedgeCapture(
      (d) => scans.push(d),
      (t) => typed.push(t),
      { maxGapMs: 35, minLength: 6 },
    );
  });
  afterEach(() => {
    wedge.dispose();
    vi.useRealTimers();
  });

  it('a fast run ended by Enter is one scan; Ctrl+] is GS', () => {
    for (const e of keys('0106901234567892', 1000, 4)) wedge.key(e);
    wedge.key(key(']', 1070, true));
    for (const e of keys('10LOT', 1074, 4)) wedge.key(e);
    wedge.key(key('Enter', 1100));
    expect(scans).toEqual(['0106901234567892\u001d10LOT']);
    expect(typed).toEqual([]);
  });

  it('slow keys are typing, handed over for the manual field, never a scan', () => {
    for (const e of keys('6901', 0, 150)) wedge.key(e);
    wedge.key(key('Enter', 700));
    vi.runAllTimers();
    expect(scans).toEqual([]);
    expect(typed.join('')).toBe('6901');
  });

  it('a short fast burst with Enter is not a scan (below minLength)', () => {
    for (const e of keys('123', 0, 5)) wedge.key(e);
    expect(wedge.key(key('Enter', 20))).toBe(false);
    expect(scans).toEqual([]);
    expect(typed).toEqual(['123']);
  });

  it('a long fast run without a suffix ends by silence', () => {
    for (const e of keys('69012340000000012345', 0, 3)) wedge.key(e);
    expect(scans).toEqual([]);
    vi.advanceTimersByTime(200);
    expect(scans).toEqual(['69012340000000012345']);
  });

  it('one key delayed by a busy browser does not cut a scan in two', () => {
    for (const e of keys('690123400000', 0, 3)) wedge.key(e);
    for (const e of keys('00012345', 33 + 100, 3)) wedge.key(e);
    wedge.key(key('Enter', 133 + 30));
    expect(scans).toEqual(['69012340000000012345']);
    expect(typed).toEqual([]);
  });

  it('a quick typist (60 ms apart) is still typing, even ended by Enter', () => {
    for (const e of keys('69012340', 0, 60)) wedge.key(e);
    expect(wedge.key(key('Enter', 8 * 60))).toBe(false);
    expect(scans).toEqual([]);
    expect(typed).toEqual(['69012340']);
  });

  it('a pause in the middle splits: the typed head is not glued to the next scan', () => {
    for (const e of keys('12', 0, 5)) wedge.key(e);
    for (const e of keys('69012340000000012345', 500, 3)) wedge.key(e);
    wedge.key(key('Tab', 570));
    expect(typed).toEqual(['12']);
    expect(scans).toEqual(['69012340000000012345']);
  });
});

const chord = (k: Partial<ScanKeyEvent> & { key: string }): ScanKeyEvent => ({
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  ...k,
});

describe('ScanKeys (one keyboard → GS mapping for the wedge and every scan field)', () => {
  it('reads every GS chord a keyboard-mode scanner sends, and nothing a person types by hand', () => {
    const keys = new ScanKeys();
    // Ctrl+] on a US layout, Ctrl+Shift+] (Ctrl+}), the physical key on a layout that moves `]`.
    expect(keys.keydown(chord({ key: ']', code: 'BracketRight', ctrlKey: true }))).toBe('gs');
    expect(keys.keydown(chord({ key: '}', code: 'BracketRight', ctrlKey: true, shiftKey: true }))).toBe('gs');
    expect(keys.keydown(chord({ key: '$', code: 'BracketRight', ctrlKey: true }))).toBe('gs');
    // Browsers that name the control key.
    expect(keys.keydown(chord({ key: 'GroupSeparator' }))).toBe('gs');
    expect(keys.keydown(chord({ key: 'Unidentified', keyCode: 29 }))).toBe('gs');
    // Not GS: `]` typed, AltGr+9 on German (Ctrl+Alt), keyCode 29 as Japanese NonConvert.
    expect(keys.keydown(chord({ key: ']', code: 'BracketRight' }))).toBeUndefined();
    expect(keys.keydown(chord({ key: ']', code: 'Digit9', ctrlKey: true, altKey: true }))).toBeUndefined();
    expect(keys.keydown(chord({ key: 'NonConvert', keyCode: 29 }))).toBeUndefined();
  });

  it('reads CR as Enter or Ctrl+M', () => {
    const keys = new ScanKeys();
    expect(keys.keydown(chord({ key: 'Enter' }))).toBe('enter');
    expect(keys.keydown(chord({ key: 'm', code: 'KeyM', ctrlKey: true }))).toBe('enter');
    expect(keys.keydown(chord({ key: 'm', code: 'KeyM' }))).toBeUndefined();
  });

  it('reads Alt+0029 on the keypad as GS when Alt is released (and Alt+013 as Enter)', () => {
    const keys = new ScanKeys();
    for (const d of '0029') {
      expect(keys.keydown(chord({ key: d, code: `Numpad${d}`, altKey: true }))).toBe('alt-digit');
    }
    expect(keys.composing).toBe(true);
    expect(keys.keyup(chord({ key: 'Alt' }))).toBe('gs');
    expect(keys.composing).toBe(false);
    // NumLock off: the keypad keys are named Insert/End…, the code still says Numpad.
    for (const [key, code] of [
      ['Insert', 'Numpad0'],
      ['End', 'Numpad1'],
      ['PageDown', 'Numpad3'],
    ] as const) {
      keys.keydown(chord({ key, code, altKey: true }));
    }
    expect(keys.keyup(chord({ key: 'Alt' }))).toBe('enter');
    // Another Alt code is not ours; Alt alone does nothing.
    for (const d of '0065') keys.keydown(chord({ key: d, code: `Numpad${d}`, altKey: true }));
    expect(keys.keyup(chord({ key: 'Alt' }))).toBeUndefined();
    expect(keys.keyup(chord({ key: 'Alt' }))).toBeUndefined();
  });

  it('maps the configured substitute, only when typed without modifiers', () => {
    const keys = new ScanKeys('|');
    expect(keys.keydown(chord({ key: '|' }))).toBe('gs');
    expect(keys.keydown(chord({ key: '|', ctrlKey: true }))).toBeUndefined();
    expect(new ScanKeys().keydown(chord({ key: '|' }))).toBeUndefined();
  });

  it('field text shows GS as ␝ (also when pasted raw or as the substitute) and submits it as GS', () => {
    expect(toFieldText('0109506000134352\u001d10L2506\r\n', undefined)).toBe(
      `0109506000134352${GS_MARK}10L2506`,
    );
    expect(toFieldText('10L2506|2112345', '|')).toBe(`10L2506${GS_MARK}2112345`);
    expect(fromFieldText(`  10L2506${GS_MARK}2112345 `)).toBe('10L2506\u001d2112345');
  });
});

describe('WedgeCapture reads the same chords', () => {
  it('Alt+0029 and Ctrl+M inside a fast burst give GS and end the scan', () => {
    vi.useFakeTimers();
    const scans: string[] = [];
    const wedge = new WedgeCapture(
      (d) => scans.push(d),
      () => {},
      { maxGapMs: 35 },
    );
    for (const e of keys('0109506000134352', 0, 4)) wedge.key(e);
    for (const [i, d] of [...'0029'].entries()) {
      wedge.key({ ...key(d, 70 + 2 * i), code: `Numpad${d}`, altKey: true });
    }
    wedge.keyUp(key('Alt', 80));
    for (const e of keys('10L2506', 84, 4)) wedge.key(e);
    wedge.key({ ...key('m', 124, true), code: 'KeyM' });
    expect(scans).toEqual(['0109506000134352\u001d10L2506']);
    wedge.dispose();
    vi.useRealTimers();
  });
});
