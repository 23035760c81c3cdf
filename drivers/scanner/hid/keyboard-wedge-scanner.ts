import type { KeyboardWedgeScannerOptions } from '../options.js';
import { BootKeyboardDecoder } from './boot-keyboard-decoder.js';
import type { HidDeviceInfo } from './hid-device.js';
import { HidScannerBase, type HidScannerDeps } from './hid-scanner-base.js';
import { parseReportDescriptor } from './report-descriptor.js';

/** Generic Desktop page (0x01), Keyboard (0x06). */
const KEYBOARD = { page: 0x01, usage: 0x06 } as const;

/**
 * A scanner in USB keyboard ("wedge") mode, read from its own hidraw node so keystrokes are
 * decoded with our US usage table, not the host's layout. Characters gather until the suffix
 * key (Enter or Tab) or, with suffix `none`, a pause. A scanner types a whole code with a few ms
 * between keys; a gap longer than `maxInterKeyMs` means a person typing: what came before the
 * gap is dropped, so slow typing never becomes a scan.
 */
export class KeyboardWedgeScanner extends HidScannerBase {
  readonly #options: KeyboardWedgeScannerOptions;
  #decoder: BootKeyboardDecoder;
  #chars: string[] = [];
  #lastKeyAt = 0;
  #overlong = false;
  #typedKeys = 0;
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(options: KeyboardWedgeScannerOptions, deps: HidScannerDeps = {}) {
    super(options, deps);
    this.#options = options;
    this.#decoder = new BootKeyboardDecoder(options.reportId);
  }

  protected wantsInterface(info: HidDeviceInfo): boolean {
    return info.usagePage === KEYBOARD.page && info.usage === KEYBOARD.usage;
  }

  /**
   * A scanner that is a composite device (keyboard + HID POS + …) numbers its reports; the
   * descriptor says which id the keyboard report has, unless `reportId` was configured.
   */
  protected async prepare(info: HidDeviceInfo): Promise<void> {
    let reportId = this.#options.reportId;
    if (reportId === undefined) {
      const descriptor = await this.hid.reportDescriptor?.(info).catch(() => undefined);
      if (descriptor) reportId = keyboardReportId(descriptor);
    }
    this.#decoder = new BootKeyboardDecoder(reportId);
  }

  protected resetInput(): void {
    this.#decoder.reset();
    this.#clear();
  }

  protected onReport(report: Buffer, receivedAt: number): void {
    for (const key of this.#decoder.decode(report)) {
      // A pause longer than a scanner ever makes: what was gathered was typed (or is stale).
      if (this.#chars.length > 0 || this.#overlong) {
        if (receivedAt - this.#lastKeyAt > this.#options.maxInterKeyMs) this.#dropTyped();
      }
      this.#lastKeyAt = receivedAt;
      const { suffix } = this.#options;
      if ((key.kind === 'enter' && suffix === 'Enter') || (key.kind === 'tab' && suffix === 'Tab')) {
        this.#endFrame(receivedAt);
        continue;
      }
      if (key.kind === 'char') this.#add(key.char);
      else if (key.kind === 'tab') this.#add('\t');
    }
    if (this.#options.suffix === 'none' && (this.#chars.length > 0 || this.#overlong)) this.#armFlush();
  }

  #add(char: string): void {
    if (this.#overlong) return;
    this.#chars.push(char === this.#options.gsSubstitute ? '\x1d' : char);
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

  #dropTyped(): void {
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
    this.#overlong = false;
    this.#typedKeys = 0;
  }
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
