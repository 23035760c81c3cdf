// Print job states and kinds as plain data, apart from the SQLite store, so the manager page can
// name them through the wire types (terminal/http/wire-types.ts) without the store.

/**
 * pending  → not acknowledged: never sent, a send failed, or the process died mid-send (then it
 *            is sent again: better a duplicate than a lost receipt)
 * sending  → reserved; rows found in it at start go back to pending
 * sent     → the printer took every byte but has not confirmed ready yet (paper ran out mid-job:
 *            the bytes wait in its buffer); never sent again
 * done     → acknowledged: bytes taken and a DLE EOT afterwards showed the printer ready
 * failed   → gave up, `reason` says why
 */
export const PRINT_JOB_STATES = ['pending', 'sending', 'sent', 'done', 'failed'] as const;
export type PrintJobState = (typeof PRINT_JOB_STATES)[number];

/** Job kinds the terminal enqueues itself (PrintQueue's default and reprintLast); callers may add others. */
export const PRINT_JOB_KINDS = ['receipt', 'reprint'] as const;
export type PrintJobKind = (typeof PRINT_JOB_KINDS)[number];
