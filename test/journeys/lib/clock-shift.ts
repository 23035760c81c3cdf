/**
 * A movable wall clock for a terminal CHILD process of the store-day tests (never imported by
 * production code). It must be the child's first import: it replaces `Date` before any module
 * captures `Date.now`, so everything in the process (ledger record times, the return window,
 * expiry, session and registry ages) lives `offsetMs` ahead of the real clock, as a terminal would
 * after days passed. Monotonic timers (`setTimeout`, `performance.now`) are left alone.
 *
 * The offset starts at env `STOREDAY_CLOCK_OFFSET_MS` (a restarted terminal keeps its time) and is
 * moved by an IPC message `{ type: 'clock', offsetMs }`, answered with `{ type: 'clock', offsetMs }`
 * once in effect. When the test process's IPC channel closes, the terminal exits.
 */
const RealDate = Date;
let offsetMs = Number(process.env.STOREDAY_CLOCK_OFFSET_MS ?? 0);
if (!Number.isFinite(offsetMs)) throw new Error('STOREDAY_CLOCK_OFFSET_MS: expected a number of ms');

class ShiftedDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(RealDate.now() + offsetMs);
    else super(...(args as [number]));
  }

  static override now(): number {
    return RealDate.now() + offsetMs;
  }
}

globalThis.Date = ShiftedDate as DateConstructor;

process.on('message', (message: unknown) => {
  const m = message as { type?: unknown; offsetMs?: unknown };
  if (m?.type !== 'clock' || typeof m.offsetMs !== 'number' || !Number.isFinite(m.offsetMs)) return;
  offsetMs = m.offsetMs;
  process.send?.({ type: 'clock', offsetMs });
});

// The test process is gone (crashed, timed out): do not stay behind on a shared machine.
process.on('disconnect', () => process.exit(1));
