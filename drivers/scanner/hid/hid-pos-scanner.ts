import type { HidPosScannerOptions } from '../options.js';
import { type HidPosQuirk, hidPosQuirkFor } from '../quirks.js';
import type { HidDeviceInfo, HidDeviceLike } from './hid-device.js';
import {
  FIXED_HID_POS_LAYOUT,
  HID_POS,
  HidPosAssembler,
  type HidPosLayout,
  type HidPosOutcome,
  hidPosLayoutFromDescriptor,
  layoutFromOverride,
} from './hid-pos-decoder.js';
import { HidScannerBase, type HidScannerDeps } from './hid-scanner-base.js';

/** What the source decided for the device it opened, for `veriterm devices` and logs. */
export interface HidPosSetup {
  layout: HidPosLayout;
  quirks: string[];
  fullReportMayEndChain: boolean;
  featureReports: { reportId: number; data: number[] }[];
}

/**
 * A scanner in HID POS mode (usage page 0x8C, usage 0x02 Bar Code Scanner). Reports are laid out
 * as options, the quirk table or the device's report descriptor say (in that order; the common
 * Honeywell layout when none does), continued reports are reassembled, the AIM symbology
 * identifier is reported separately, one trailing CR/LF suffix is removed, and data is
 * binary-safe. Feature reports a device needs (Honeywell output redirection) are sent on open.
 */
export class HidPosScanner extends HidScannerBase {
  readonly #options: HidPosScannerOptions;
  #assembler: HidPosAssembler | undefined;
  #chainTimer: NodeJS.Timeout | undefined;
  /** The layout and quirks in use once a device was opened. */
  setup: HidPosSetup | undefined;

  constructor(options: HidPosScannerOptions, deps: HidScannerDeps = {}) {
    super(options, deps);
    this.#options = options;
  }

  /** The layout in use (`descriptor`, `quirk`, `options` or `fixed`). */
  get layout(): HidPosLayout | undefined {
    return this.setup?.layout;
  }

  protected wantsInterface(info: HidDeviceInfo): boolean {
    return info.usagePage === HID_POS.page;
  }

  protected async prepare(info: HidDeviceInfo, device: HidDeviceLike): Promise<void> {
    const o = this.#options;
    const quirk: HidPosQuirk & { ids: string[] } = o.quirks
      ? hidPosQuirkFor(info.vendorId, info.productId)
      : { ids: [] };
    let layout: HidPosLayout;
    if (o.layout) layout = { ...layoutFromOverride(o.layout), source: 'options' };
    else if (quirk.layout) layout = layoutFromOverride(quirk.layout);
    else {
      const descriptor = await this.hid.reportDescriptor?.(info).catch(() => undefined);
      const fromDescriptor = descriptor ? hidPosLayoutFromDescriptor(descriptor) : undefined;
      if (!fromDescriptor) {
        this.logger.info(
          { deviceId: this.deviceId },
          'no HID POS report descriptor; using the fixed Honeywell layout',
        );
      }
      layout = fromDescriptor ?? FIXED_HID_POS_LAYOUT;
    }
    if (o.aimOffset !== undefined) {
      const offset = o.aimOffset;
      layout = { ...layout, symbology: offset === 'none' ? [] : [0, 1, 2].map((k) => (offset + k) * 8) };
    }
    const featureReports = (quirk.featureReports ?? []).map((f) => ({
      reportId: f.reportId,
      data: [...f.data],
    }));
    for (const report of featureReports) {
      if (!device.sendFeatureReport) {
        throw new Error(
          `this HID backend cannot send feature report 0x${report.reportId.toString(16)} the device needs`,
        );
      }
      // Without it a Honeywell composite device sends its scans to the keyboard interface only.
      // A model that refuses the report may not need it: say so and read on, never go silent.
      await device.sendFeatureReport([report.reportId, ...report.data]).catch((error: unknown) => {
        this.reportError(
          'feature_report_failed',
          `the scanner refused feature report 0x${report.reportId.toString(16)} (${(error as Error).message}); if no scans arrive, set it to HID POS output in its own configuration`,
        );
      });
    }
    const fullReportMayEndChain = o.fullReportMayEndChain ?? quirk.fullReportMayEndChain ?? false;
    this.setup = { layout, quirks: quirk.ids, fullReportMayEndChain, featureReports };
    if (quirk.ids.length > 0)
      this.logger.info({ deviceId: this.deviceId, quirks: quirk.ids }, 'scanner quirks applied');
    this.#assembler = this.#newAssembler();
  }

  #newAssembler(): HidPosAssembler | undefined {
    if (!this.setup) return undefined;
    return new HidPosAssembler(this.setup.layout, {
      maxFrameLength: this.#options.maxFrameLength,
      chainTimeoutMs: this.#options.chainTimeoutMs,
      fullReportMayEndChain: this.setup.fullReportMayEndChain,
    });
  }

  protected resetInput(): void {
    this.#clearTimer();
    this.#assembler = this.#newAssembler();
  }

  protected onReport(report: Buffer, receivedAt: number): void {
    const assembler = this.#assembler;
    if (!assembler) return;
    this.#clearTimer();
    this.#handle(assembler.push(report, receivedAt));
    const since = assembler.pendingSince;
    if (since === undefined) return;
    // A chain that says more follows: close it if nothing does (quirk: a final full report).
    this.#chainTimer = setTimeout(() => {
      this.#chainTimer = undefined;
      if (this.#assembler === assembler) this.#handle(assembler.expire(since + assembler.chainTimeoutMs));
    }, assembler.chainTimeoutMs);
    this.#chainTimer.unref();
  }

  #handle(outcomes: HidPosOutcome[]): void {
    for (const outcome of outcomes) {
      if (outcome.kind === 'error') this.reportError(outcome.code, outcome.message);
      else if (outcome.kind === 'scan') {
        const data = this.#options.suffix === 'auto' ? withoutSuffix(outcome.data) : outcome.data;
        if (data.length === 0) continue;
        this.deliver(data.toString(this.#options.encoding), outcome.symbology, outcome.at);
      }
    }
  }

  #clearTimer(): void {
    if (this.#chainTimer) clearTimeout(this.#chainTimer);
    this.#chainTimer = undefined;
  }
}

/** One trailing CR, LF or CRLF: the suffix a scanner appends in HID POS mode (JieLi turns LF into CR). */
export function withoutSuffix(data: Buffer): Buffer {
  let end = data.length;
  if (data[end - 1] === 0x0a) end--;
  if (data[end - 1] === 0x0d) end--;
  return end === data.length ? data : data.subarray(0, end);
}
