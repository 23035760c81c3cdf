import type { HidPosScannerOptions } from '../options.js';
import type { HidDeviceInfo } from './hid-device.js';
import {
  FIXED_HID_POS_LAYOUT,
  HID_POS,
  HidPosAssembler,
  type HidPosLayout,
  hidPosLayoutFromDescriptor,
} from './hid-pos-decoder.js';
import { HidScannerBase, type HidScannerDeps } from './hid-scanner-base.js';

/**
 * A scanner in HID POS mode (usage page 0x8C, usage 0x02 Bar Code Scanner). Reports are laid out
 * as the device's report descriptor says (falling back to the common Honeywell layout when it
 * cannot be read), continued reports are reassembled, the AIM symbology identifier is reported
 * separately, and data is binary-safe.
 */
export class HidPosScanner extends HidScannerBase {
  readonly #options: HidPosScannerOptions;
  #assembler: HidPosAssembler | undefined;
  /** The layout in use, for diagnostics (`descriptor` or `fixed`). */
  layout: HidPosLayout | undefined;

  constructor(options: HidPosScannerOptions, deps: HidScannerDeps = {}) {
    super(options, deps);
    this.#options = options;
  }

  protected wantsInterface(info: HidDeviceInfo): boolean {
    return info.usagePage === HID_POS.page;
  }

  protected async prepare(info: HidDeviceInfo): Promise<void> {
    const descriptor = await this.hid.reportDescriptor?.(info).catch(() => undefined);
    const fromDescriptor = descriptor ? hidPosLayoutFromDescriptor(descriptor) : undefined;
    this.layout = fromDescriptor ?? FIXED_HID_POS_LAYOUT;
    if (!fromDescriptor) {
      this.logger.info(
        { deviceId: this.deviceId },
        'no HID POS report descriptor; using the fixed Honeywell layout',
      );
    }
    this.#assembler = new HidPosAssembler(this.layout, this.#options.maxFrameLength);
  }

  protected resetInput(): void {
    if (this.layout) this.#assembler = new HidPosAssembler(this.layout, this.#options.maxFrameLength);
  }

  protected onReport(report: Buffer, receivedAt: number): void {
    const outcome = this.#assembler?.push(report, receivedAt);
    if (!outcome) return;
    if (outcome.kind === 'error') this.reportError(outcome.code, outcome.message);
    else if (outcome.kind === 'scan') {
      this.deliver(outcome.data.toString(this.#options.encoding), outcome.symbology, receivedAt);
    }
  }
}
