/**
 * Keyboard-wedge capture in the browser (DOMAIN.md "Scanners"): a USB scanner in keyboard mode
 * "types" a whole code in a few milliseconds per key and ends it with a suffix (Enter or Tab).
 * People type ten times slower. So: a run of keys whose gaps are all under `maxGapMs`, at least
 * `minLength` long and ended by a suffix (or by silence) is a scan; anything else is typing.
 * Ctrl+] is GS (0x1D), as scanners send it on a US layout; `gsSubstitute` maps a configured
 * stand-in character to GS too.
 */
export interface WedgeOptions {
  /** Longest gap between keys of one scan. @default 35 */
  maxGapMs?: number;
  /** Shortest scan (shorter bursts are typing). @default 6 */
  minLength?: number;
  /** Keys that end a scan. @default ['Enter', 'Tab'] */
  suffixes?: string[];
  /** A scan without suffix ends after this much silence. @default 80 */
  silenceMs?: number;
  gsSubstitute?: string;
}

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  timeStamp: number;
  preventDefault(): void;
}

const GS = '\u001d';

export class WedgeCapture {
  readonly #o: Required<Omit<WedgeOptions, 'gsSubstitute'>> & { gsSubstitute?: string };
  readonly #onScan: (data: string, endedAt: number) => void;
  readonly #onTyped: (text: string) => void;
  #buffer = '';
  #last = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    onScan: (data: string, endedAt: number) => void,
    onTyped: (text: string) => void,
    options: WedgeOptions = {},
  ) {
    this.#onScan = onScan;
    this.#onTyped = onTyped;
    this.#o = {
      maxGapMs: options.maxGapMs ?? 35,
      minLength: options.minLength ?? 6,
      suffixes: options.suffixes ?? ['Enter', 'Tab'],
      silenceMs: options.silenceMs ?? 80,
      gsSubstitute: options.gsSubstitute,
    };
  }

  /** Feed every keydown (window, capture phase). Returns true when the key was consumed. */
  key(event: KeyLike): boolean {
    const now = event.timeStamp;
    const gap = now - this.#last;
    if (this.#buffer && gap > this.#o.maxGapMs) this.#flushTyped();
    if (this.#o.suffixes.includes(event.key)) {
      if (this.#buffer.length >= this.#o.minLength) {
        event.preventDefault();
        this.#emit(now);
        return true;
      }
      this.#flushTyped();
      return false;
    }
    const char = this.#charOf(event);
    if (char === undefined) return false;
    event.preventDefault();
    this.#buffer += char;
    this.#last = now;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#silence(), this.#o.silenceMs);
    return true;
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  #charOf(e: KeyLike): string | undefined {
    if (e.ctrlKey && (e.key === ']' || e.key === '}' || e.key === 'GroupSeparator')) return GS;
    if (e.ctrlKey || e.altKey || e.metaKey || e.key.length !== 1) return undefined;
    if (this.#o.gsSubstitute && e.key === this.#o.gsSubstitute) return GS;
    return e.key;
  }

  #silence(): void {
    // Silence after a fast run (the buffer only ever holds keys with short gaps): some scanners
    // send no suffix, so a long enough run is a scan; a short one was typing.
    if (this.#buffer.length >= Math.max(this.#o.minLength, 8)) this.#emit(this.#last);
    else this.#flushTyped();
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
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
