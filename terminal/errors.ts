/**
 * A fault (not an expected outcome) with a stable machine-readable `code`.
 * Expected outcomes are values (`{ ok: false, error }`); faults are thrown as this.
 * Messages must never contain secrets (keys, PINs, passwords).
 */
export class VeritermError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VeritermError';
    this.code = code;
  }
}

/** A bad command line: the CLI exits 2 and prints the message. */
export class UsageError extends VeritermError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}
