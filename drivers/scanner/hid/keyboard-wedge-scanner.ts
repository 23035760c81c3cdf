import type { KeyboardWedgeScannerOptions } from '../options.js';
import { BootKeyboardDecoder, type BootKeyboardDecoderOptions } from './boot-keyboard-decoder.js';
import type { HidDeviceInfo, HidDeviceLike } from './hid-device.js';
import { HidScannerBase, type HidScannerDeps } from './hid-scanner-base.js';
import { parseReportDescriptor } from './report-descriptor.js';

/** Generic Desktop page (0x01), Keyboard (0x06). */
const KEYBOARD = { page: 0x01, usage: 0x06 } as const;

/** The GS setting as what the decoder yields: a key name or one character. */
function gsMatcher(options: KeyboardWedgeScannerOptions): { key?: string; char?: string } {
  const gs = options.keyboard.gs ?? options.gsSubstitute;
  if (gs === undefined) return {};
  if (gs.length === 1) return { char: gs };
  const ctrl = /^ctrl-(.)$/.exec(gs);
  if (ctrl) {
    const c = ctrl[1]!;
    return { char: String.fromCharCode(/[a-z]/.test(c) ? c.charCodeAt(0) - 0x60 : c.charCodeAt(0) - 0x40) };
  }
  return { key: gs };
}

/**
 * A scanner in USB keyboard ("wedge") mode, read from its own hidraw node so keystrokes are
 * decoded with the scanner's layout setting (`keyboard.layout`), never the host's. Characters
 * gather until the suffix key (Enter — also Ctrl+M and Ctrl+J — or Tab) or, with suffix `none`,
 * a pause. A scanner types a whole code with a few ms between keys; a gap longer than
 * `maxInterKeyMs` means a person typing: what came before the gap is dropped, so slow typing
 * never becomes a scan. Nothing is dropped silently: a scanner-speed run without a suffix, or a
 * scan holding a key that types nothing (GS sent as Down), is reported with the setting to change.
 */
export class KeyboardWedgeScanner extends HidScannerBase {
  readonly #options: KeyboardWedgeScannerOptions;
  #decoder: BootKeyboardDecoder;
  #chars: string[] = [];
  #lastKeyAt = 0;
  #overlong = false;
  #typedKeys = 0;
  /** Keys that typed nothing in this frame (each also holds a place in #chars, so the frame stays bounded). */
  #unmapped = new Set<string>();
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #gs: { key?: string; char?: string };

  constructor(options: KeyboardWedgeScannerOptions, deps: HidScannerDeps = {}) {
    super(options, deps);
    this.#options = options;
    this.#gs = gsMatcher(options);
    this.#decoder = new BootKeyboardDecoder(this.#decoderOptions(options.reportId));
  }

  #decoderOptions(reportId: number | undefined): BootKeyboardDecoderOptions {
    const k = this.#options.keyboard;
    return { reportId, layout: k.layout, capsLock: k.capsLock, altCodePage: k.altCodePage };
  }

  protected wantsInterface(info: HidDeviceInfo): boolean {
    return info.usagePage === KEYBOARD.page && info.usage === KEYBOARD.usage;
  }

  /**
   * A scanner that is a composite device (keyboard + HID POS + …) numbers its reports; the
   * descriptor says which id the keyboard report has, unless `reportId` was configured.
   */
  protected async prepare(info: HidDeviceInfo, _device: HidDeviceLike): Promise<void> {
    let reportId = this.#options.reportId;
    if (reportId === undefined) {
      const descriptor = await this.hid.reportDescriptor?.(info).catch(() => undefined);
      if (descriptor) reportId = keyboardReportId(descriptor);
    }
    this.#decoder = new BootKeyboardDecoder(this.#decoderOptions(reportId));
  }

  protected resetInput(): void {
    this.#decoder.reset();
    this.#clear();
  }

  protected onReport(report: Buffer, receivedAt: number): void {
    for (const key of this.#decoder.decode(report)) {
      // A pause longer than a scanner ever makes: what was gathered was typed (or is stale).
      if (this.#chars.length > 0 || this.#overlong || this.#unmapped.size > 0) {
        if (receivedAt - this.#lastKeyAt > this.#options.maxInterKeyMs) this.#dropStale();
      }
      this.#lastKeyAt = receivedAt;
      const { suffix } = this.#options;
      // CR may come as Enter or Ctrl+M, LF as Ctrl+J (Symbol-family defaults): both end a scan;
      // the LF of a CRLF suffix then finds nothing gathered and is ignored.
      const isEnter =
        key.kind === 'enter' || (key.kind === 'char' && (key.char === '\r' || key.char === '\n'));
      if ((isEnter && suffix === 'Enter') || (key.kind === 'tab' && suffix === 'Tab')) {
        this.#endFrame(receivedAt);
        continue;
      }
      if (key.kind === 'char') this.#add(key.char === this.#gs.char ? '\x1d' : key.char);
      else if (key.kind === 'tab') this.#add('\t');
      else if (key.kind === 'key') {
        if (key.name === this.#gs.key) this.#add('\x1d');
        else {
          this.#unmapped.add(key.name);
          this.#add(UNMAPPED);
        }
      }
    }
    const gathered = this.#chars.length > 0 || this.#overlong || this.#unmapped.size > 0;
    if (this.#options.suffix === 'none' && gathered) this.#armFlush();
  }

  #add(char: string): void {
    if (this.#overlong) return;
    this.#chars.push(char);
    if (this.#chars.length > this.#options.maxFrameLength) {
      this.#chars = [];
      this.#overlong = true;
    }
  }

  #endFrame(receivedAt: number): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#overlong) {
      this.#clear();
      this.reportError(
        'overlong',
        `Keyboard input exceeded maxFrameLength ${this.#options.maxFrameLength} before the suffix; discarded`,
      );
      return;
    }
    const data = this.#chars.join('');
    this.#chars = [];
    if (this.#unmapped.size > 0) {
      const keys = [...this.#unmapped];
      this.#unmapped = new Set();
      this.reportError(
        'unmapped_key',
        `A scan held key(s) that type no character: ${keys.join(', ')} (read as "${printable(data)}"). If the scanner sends GS that way, set keyboard.gs = '${keys[0]}', or program the scanner to send GS as Ctrl+]; scan dropped`,
      );
      return;
    }
    if (data.length === 0) {
      this.#reportTypedIfAny();
      return;
    }
    if (data.length < this.#options.minLength) {
      this.#typedKeys += data.length;
      this.#reportTypedIfAny();
      return;
    }
    this.#typedKeys = 0;
    this.deliver(data, undefined, receivedAt);
  }

  /**
   * Input older than a scanner's pause. Several characters that came at scanner speed and were
   * never ended by the suffix are a scan the suffix setting does not match: say so, with the fix.
   */
  #dropStale(): void {
    const { minLength, suffix } = this.#options;
    // Without a suffix the pause is the end of the frame (the flush timer was late, not skipped).
    if (suffix === 'none') {
      this.#endFrame(this.#lastKeyAt);
      return;
    }
    if (this.#chars.length >= minLength || this.#unmapped.size > 0) {
      const data = this.#chars.join('');
      const keys = [...this.#unmapped];
      this.#chars = [];
      this.#unmapped = new Set();
      this.#overlong = false;
      this.reportError(
        'no_suffix',
        `${data.length} character(s) ("${printable(data)}"${keys.length > 0 ? ` and key(s) ${keys.join(', ')}` : ''}) arrived at scanner speed but no ${suffix} key ended them; scan dropped. Program the scanner to add a CR suffix, or set suffix: 'none'`,
      );
      return;
    }
    this.#typedKeys += this.#chars.length;
    this.#chars = [];
    this.#overlong = false;
  }

  #reportTypedIfAny(): void {
    if (this.#typedKeys === 0) return;
    const keys = this.#typedKeys;
    this.#typedKeys = 0;
    this.reportError(
      'typed_input',
      `${keys} key(s) arrived slower than maxInterKeyMs ${this.#options.maxInterKeyMs} (a person typing, not a scan); ignored`,
    );
  }

  #armFlush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    const at = this.#lastKeyAt;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#endFrame(at);
    }, this.#options.frameTimeoutMs);
  }

  #clear(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#chars = [];
    this.#unmapped = new Set();
    this.#overlong = false;
    this.#typedKeys = 0;
  }
}

/** Stands for a key that typed nothing, in messages only (such a frame is never delivered). */
const UNMAPPED = '\uFFFF';

/** Control characters shown as <GS>, <CR>…, keys that typed nothing as <key>, in messages. */
function printable(text: string): string {
  text = text.replaceAll(UNMAPPED, '<key>');
  const names: Record<number, string> = { 29: 'GS', 13: 'CR', 10: 'LF', 9: 'TAB', 30: 'RS', 4: 'EOT' };
  return text.replace(
    /[\x00-\x1f]/g,
    (c) => `<${names[c.charCodeAt(0)] ?? `0x${c.charCodeAt(0).toString(16)}`}>`,
  );
}

/** The report id of the keyboard input report (page 0x07 keys), undefined when reports are not numbered. */
export function keyboardReportId(descriptor: Uint8Array): number | undefined {
  for (const layout of parseReportDescriptor(descriptor).values()) {
    if (layout.fields.some((f) => f.usagePage === 0x07 && (f.flags & 0x01) === 0)) {
      return layout.reportId === 0 ? undefined : layout.reportId;
    }
  }
  return undefined;
}
