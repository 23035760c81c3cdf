import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type KeyLike, WedgeCapture } from '../../../kiosk-ui/src/kiosk/wedge.js';

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
