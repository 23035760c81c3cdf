/**
 * Keyboard-wedge capture in the browser (DOMAIN.md "Scanners"): a USB scanner in keyboard mode
 * "types" a whole code in a few milliseconds per key and ends it with a suffix (Enter or Tab).
 * People type ten times slower. So: a burst of keys (no gap of `breakGapMs` or more) at least
 * `minLength` long, ended by a suffix (or by silence), whose MEDIAN gap is under `maxGapMs` is a
 * scan; anything else is typing. The median, not the largest gap, decides, because one key
 * delayed by a busy browser (GC, a long frame) must not cut a scan in two.
 * GS (0x1D) and CR chords (Ctrl+], Alt+0029, Ctrl+M, the configured `gsSubstitute`) are read by
 * the same ScanKeys mapping the scan fields use (shell/scan-keys.ts).
 */
import { GS, type ScanKeyEvent, ScanKeys } from '../shell/scan-keys.js';

export interface WedgeOptions {
  /** Largest median gap between keys of one scan. @default 35 */
  maxGapMs?: number;
  /** A gap this long always ends a burst (people type ~100–300 ms apart). @default 150 */
  breakGapMs?: number;
  /** Shortest scan (shorter bursts are typing). @default 6 */
  minLength?: number;
  /** Keys that end a scan. @default ['Enter', 'Tab'] */
  suffixes?: string[];
  /** A scan without suffix ends after this much silence. @default breakGapMs */
  silenceMs?: number;
  gsSubstitute?: string;
}

export interface KeyLike extends ScanKeyEvent {
  timeStamp: number;
  preventDefault(): void;
}

export class WedgeCapture {
  readonly #o: Required<Omit<WedgeOptions, 'gsSubstitute'>> & { gsSubstitute?: string };
  readonly #onScan: (data: string, endedAt: number) => void;
  readonly #onTyped: (text: string) => void;
  #buffer = '';
  #gaps: number[] = [];
  #last = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #keys: ScanKeys;

  constructor(
    onScan: (data: string, endedAt: number) => void,
    onTyped: (text: string) => void,
    options: WedgeOptions = {},
  ) {
    this.#onScan = onScan;
    this.#onTyped = onTyped;
    const breakGapMs = options.breakGapMs ?? 150;
    this.#o = {
      maxGapMs: options.maxGapMs ?? 35,
      breakGapMs,
      minLength: options.minLength ?? 6,
      suffixes: options.suffixes ?? ['Enter', 'Tab'],
      silenceMs: options.silenceMs ?? breakGapMs,
      gsSubstitute: options.gsSubstitute,
    };
    this.#keys = new ScanKeys(options.gsSubstitute);
  }

  /** Feed every keydown (window, capture phase). Returns true when the key was consumed. */
  key(event: KeyLike): boolean {
    const now = event.timeStamp;
    const gap = now - this.#last;
    if (this.#buffer && gap >= this.#o.breakGapMs) this.#endBurst();
    const mapped = this.#keys.keydown(event);
    if (mapped === 'alt-digit') {
      event.preventDefault();
      return true;
    }
    const suffix =
      this.#o.suffixes.includes(event.key) || (mapped === 'enter' && this.#o.suffixes.includes('Enter'));
    if (suffix) {
      if (this.#isScan(this.#buffer.length >= this.#o.minLength)) {
        event.preventDefault();
        this.#emit(now);
        return true;
      }
      this.#flushTyped();
      return false;
    }
    const char = mapped === 'gs' ? GS : this.#charOf(event);
    if (char === undefined) return false;
    event.preventDefault();
    this.#add(char, now, gap);
    return true;
  }

  /**
   * Feed every keyup too: an Alt+keypad code (Alt+0029 for GS) completes when Alt is released.
   * Returns true when the key was consumed.
   */
  keyUp(event: KeyLike): boolean {
    const mapped = this.#keys.keyup(event);
    if (mapped === undefined) return false;
    event.preventDefault();
    const now = event.timeStamp;
    if (mapped === 'enter') {
      if (this.#isScan(this.#buffer.length >= this.#o.minLength)) this.#emit(now);
      else this.#flushTyped();
      return true;
    }
    this.#add(GS, now, now - this.#last);
    return true;
  }

  #add(char: string, now: number, gap: number): void {
    if (this.#buffer) this.#gaps.push(gap);
    this.#buffer += char;
    this.#last = now;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#silence(), this.#o.silenceMs);
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  #charOf(e: KeyLike): string | undefined {
    if (e.ctrlKey || e.altKey || e.metaKey || e.key.length !== 1) return undefined;
    return e.key;
  }

  /** Whether the buffered burst reads as a scanner's: long enough and fast in the median. */
  #isScan(longEnough: boolean): boolean {
    if (!longEnough || this.#gaps.length === 0) return false;
    const sorted = [...this.#gaps].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]! <= this.#o.maxGapMs;
  }

  /** A burst ended without a suffix: some scanners send none, so a long fast burst is a scan. */
  #endBurst(): void {
    if (this.#isScan(this.#buffer.length >= Math.max(this.#o.minLength, 8))) this.#emit(this.#last);
    else this.#flushTyped();
  }

  #silence(): void {
    this.#endBurst();
  }

  #emit(at: number): void {
    const data = this.#buffer;
    this.#reset();
    this.#onScan(data, at);
  }

  #flushTyped(): void {
    const text = this.#buffer;
    this.#reset();
    if (text) this.#onTyped(text);
  }

  #reset(): void {
    this.#buffer = '';
    this.#gaps = [];
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
