/** Public surface of the scanner drivers: the interface, the sources, their options and the factory. */
export { Backoff, usbDeviceId } from './backoff.js';
export type { BaseScannerDeps, BaseScannerOptions, DriverLogger } from './base-scanner.js';
export { BaseScannerSource } from './base-scanner.js';
export { createScannerSource, parseScannerOptions, type ScannerSourceDeps } from './create-scanner-source.js';
export { Debouncer } from './debouncer.js';
export {
  BootKeyboardDecoder,
  type BootKeyboardDecoderOptions,
  type KeyEvent,
} from './hid/boot-keyboard-decoder.js';
export {
  type HidApi,
  type HidDeviceInfo,
  type HidDeviceLike,
  nodeHidApi,
  readSysfsReportDescriptor,
} from './hid/hid-device.js';
export {
  FIXED_HID_POS_LAYOUT,
  HID_POS,
  HidPosAssembler,
  type HidPosAssemblerOptions,
  type HidPosLayout,
  type HidPosOutcome,
  hidPosLayoutFromDescriptor,
  layoutFromOverride,
  symbologyOf,
} from './hid/hid-pos-decoder.js';
export { HidPosScanner, type HidPosSetup, withoutSuffix } from './hid/hid-pos-scanner.js';
export { HidScannerBase, type HidScannerDeps } from './hid/hid-scanner-base.js';
export { type KeyboardLayout, keyboardLayout } from './hid/keyboard-layouts.js';
export { KeyboardWedgeScanner } from './hid/keyboard-wedge-scanner.js';
export { type HidField, type HidReportLayout, parseReportDescriptor } from './hid/report-descriptor.js';
export { type ListenOptions, type ListenResult, listenForScan, type RawReport } from './listen.js';
export * from './options.js';
export {
  type HidPosLayoutOverride,
  type HidPosQuirk,
  hidPosQuirkFor,
  SCANNER_QUIRKS,
  type ScannerQuirk,
  scannerQuirksFor,
} from './quirks.js';
export { ScannerError } from './scanner-error.js';
export { type FrameVerdict, filterFrame } from './serial/frame-filter.js';
export { createFramer, type FrameOverflow } from './serial/framing.js';
export {
  type SerialOpenOptions,
  type SerialPortInfo,
  type SerialPortLike,
  SerialScanner,
  type SerialScannerDeps,
} from './serial/serial-scanner.js';
export { SimulatedScanner, type SimulatedScannerOptions } from './simulated-scanner.js';
export { StdinScanner, type StreamScannerDeps, type StreamScannerOptions } from './stream-scanner.js';
export type { Scan, ScannerEvents, ScannerSource, ScannerState } from './types.js';
