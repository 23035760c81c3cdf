import type { BaseScannerDeps } from './base-scanner.js';
import { HidPosScanner } from './hid/hid-pos-scanner.js';
import type { HidScannerDeps } from './hid/hid-scanner-base.js';
import { KeyboardWedgeScanner } from './hid/keyboard-wedge-scanner.js';
import { type ScannerOptions, type ScannerOptionsInput, scannerOptionsSchema } from './options.js';
import { ScannerError } from './scanner-error.js';
import { SerialScanner, type SerialScannerDeps } from './serial/serial-scanner.js';
import { SimulatedScanner } from './simulated-scanner.js';
import { StdinScanner } from './stream-scanner.js';
import type { ScannerSource } from './types.js';

/** Everything a source may need from outside; tests inject fakes, production passes nothing. */
export interface ScannerSourceDeps extends BaseScannerDeps, SerialScannerDeps, HidScannerDeps {
  /** Line input for `stdin` sources. @default process.stdin */
  input?: NodeJS.ReadableStream;
}

/** Validates options and names every bad field with what was expected. */
export function parseScannerOptions(options: unknown): ScannerOptions {
  const parsed = scannerOptionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(options)';
    return `${field}: ${issue.message}`;
  });
  throw new ScannerError('bad_scanner_options', `Invalid scanner options: ${problems.join('; ')}`);
}

/**
 * Builds the ScannerSource the options describe. The composition root calls this once per
 * configured scanner; nothing is opened until `start()`.
 */
export function createScannerSource(
  options: ScannerOptionsInput,
  deps: ScannerSourceDeps = {},
): ScannerSource {
  const o = parseScannerOptions(options);
  switch (o.type) {
    case 'simulated':
      return new SimulatedScanner(o, deps);
    case 'stdin':
      return new StdinScanner(o, deps);
    case 'serial':
      return new SerialScanner(o, deps);
    case 'hid-pos':
      return new HidPosScanner(o, deps);
    case 'keyboard-wedge':
      return new KeyboardWedgeScanner(o, deps);
  }
}
