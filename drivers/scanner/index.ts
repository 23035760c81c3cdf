/** Public surface of the scanner drivers: the interface, the sources, their options and the factory. */
export type { BaseScannerDeps, DriverLogger } from './base-scanner.js';
export { BaseScannerSource } from './base-scanner.js';
export { createScannerSource, parseScannerOptions, type ScannerSourceDeps } from './create-scanner-source.js';
export { Debouncer } from './debouncer.js';
export * from './options.js';
export { ScannerError } from './scanner-error.js';
export { SimulatedScanner, type SimulatedScannerOptions } from './simulated-scanner.js';
export { StdinScanner, type StreamScannerDeps, type StreamScannerOptions } from './stream-scanner.js';
export type { Scan, ScannerEvents, ScannerSource, ScannerState } from './types.js';
