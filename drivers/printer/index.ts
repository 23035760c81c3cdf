export { PrinterError } from './errors.js';
export { type DecoderHandlers, decodeText, EscPosDecoder, type PrintAction } from './escpos-decoder.js';
export {
  createPrinter,
  type PrinterFactoryDeps,
  type PrinterOptions,
  printerOptionsSchema,
  type ResolvedPrinterOptions,
} from './factory.js';
export { FakeNetworkPrinter, type FakeNetworkPrinterOptions } from './fake-network-printer.js';
export { FakePrinter } from './fake-printer.js';
export { FakeUsbPrinterDevice } from './fake-usb-device.js';
export { FilePrinter, type FilePrinterOptions } from './file-printer.js';
export { NetworkPrinter, type NetworkPrinterOptions } from './network-printer.js';
export { SerialPrinter, type SerialPrinterOptions } from './serial-printer.js';
export { type DeviceState, type PrintedReceipt, SimulatedPrinterDevice } from './simulated-device.js';
export {
  DLE_EOT_OFFLINE_CAUSE,
  DLE_EOT_PAPER,
  DLE_EOT_PRINTER,
  encodeStatus,
  isReady,
  type PrinterFault,
  parseStatus,
  printerFault,
  STATUS_QUERY,
} from './status.js';
export {
  type Connector,
  type LinkHandlers,
  type PrinterLink,
  StreamPrinter,
  type StreamPrinterOptions,
} from './stream-printer.js';
export type { PrinterEvents, PrinterStatus, ReceiptPrinter } from './types.js';
export {
  findUsbPrinter,
  USB_CLASS_PRINTER,
  UsbPrinter,
  type UsbPrinterOptions,
  type WebUsbDeviceLike,
} from './usb-printer.js';
