/**
 * A scanner fault with a stable `code`. Shaped like terminal/errors.ts VeritermError (name,
 * code, message, cause) because drivers/ may not import terminal/; callers match on `code`.
 */
export class ScannerError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScannerError';
    this.code = code;
  }
}
