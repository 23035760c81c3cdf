import { UsageError } from '../../../terminal/errors.js';
import { type CommandModule, parseCommandOrHelp } from '../../args.js';
import { reportLines } from './sim-report.js';

const HELP = `Usage: veriterm upstream simulate --terminals N --stores M --sales-per-s R --duration S [options]

Fleet simulation on this machine: spawns mosquitto (must be installed), the reference upstream in
its own process (SQLite, or PostgreSQL with --db and --workers N processes; enforcement feed on) and N lightweight terminals in a few processes, each
with its own Ed25519 key, real signed hash-chained ledger, persistent MQTT session, outbox and acks.
They sell at R sales per second in total for S seconds; a share of them drop and reconnect; a few
codes are sold at two stores. Prints records/s ingested, lag (sale signed -> acknowledged)
p50/p99, clone alert latency, and broker/upstream CPU, as 'simulate <metric> <value> <unit>'.

Options:
  --lines N         units per sale (records per sale = N + 1; default 10)
  --processes N     terminal processes (default one per 250 terminals, 1 to 4)
  --drop-share F    share of terminals whose link drops once for 2-10 s (default 0.1)
  --clones N        codes sold at two stores (default 5)
  --seed N          replay a run's random choices
  --db URL          run the upstream on PostgreSQL (postgres://…): an EMPTY scratch database, the
                    simulator enrols its fleet there (one already holding records is refused)
  --workers N       upstream worker processes on --db, sharing the ingest subscriptions (default 1)
  --register-sold-codes
                    register every code the fleet sells in the scope (1,000 products), so every
                    sale goes into the scope's next registry delta: the busy-scope case
  --min-delta-interval-ms N
                    the upstream's least time between two delta versions of the scope
                    (upstream option minDeltaIntervalMs; default the upstream's, 1000; 0: one per flush)
  --json            print the report as JSON instead
`;

const FLAGS = {
  terminals: { type: 'string' },
  stores: { type: 'string' },
  'sales-per-s': { type: 'string' },
  duration: { type: 'string' },
  lines: { type: 'string' },
  processes: { type: 'string' },
  'drop-share': { type: 'string' },
  clones: { type: 'string' },
  seed: { type: 'string' },
  db: { type: 'string' },
  workers: { type: 'string' },
  'register-sold-codes': { type: 'boolean' },
  'min-delta-interval-ms': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** A flag as a number within bounds, or a UsageError naming the flag, the value and the bounds. */
function numberFlag(name: string, text: string | undefined, min: number, max: number, whole = true) {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (whole && !Number.isInteger(value)))
    throw new UsageError(
      `veriterm upstream simulate: --${name} expected ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}, got '${text}'`,
    );
  return value;
}

/** `veriterm upstream simulate`: the fleet simulator. */
export const simulate: CommandModule = {
  async run(argv, io) {
    const parsed = parseCommandOrHelp('upstream simulate', argv, FLAGS, {
      usage: HELP,
      io,
      allowPositionals: false,
    });
    if (!parsed) return 0;
    const v = parsed.values;
    const terminals = numberFlag('terminals', v.terminals, 1, 100_000);
    const stores = numberFlag('stores', v.stores, 1, 100_000);
    const salesPerSecond = numberFlag('sales-per-s', v['sales-per-s'], 0.1, 100_000, false);
    const durationS = numberFlag('duration', v.duration, 1, 86_400);
    if (
      terminals === undefined ||
      stores === undefined ||
      salesPerSecond === undefined ||
      durationS === undefined
    )
      throw new UsageError(
        `veriterm upstream simulate: needs --terminals, --stores, --sales-per-s and --duration\n\n${HELP}`,
      );
    if (stores > terminals)
      throw new UsageError(
        `veriterm upstream simulate: --stores ${stores} is more than --terminals ${terminals}`,
      );
    const { runSimulation } = await import('./run-simulation.js');
    const lines = numberFlag('lines', v.lines, 1, 1000);
    const processes = numberFlag('processes', v.processes, 1, 64);
    const dropShare = numberFlag('drop-share', v['drop-share'], 0, 1, false);
    const clones = numberFlag('clones', v.clones, 0, 10_000);
    const seed = numberFlag('seed', v.seed, 0, 2 ** 31);
    const workers = numberFlag('workers', v.workers, 1, 16);
    const minDeltaIntervalMs = numberFlag('min-delta-interval-ms', v['min-delta-interval-ms'], 0, 600_000);
    if (v.db !== undefined && !/^postgres(ql)?:\/\//.test(v.db))
      throw new UsageError(
        `veriterm upstream simulate: --db expects a postgres:// URL, got "${v.db.split('@').at(-1)}"`,
      );
    if (workers !== undefined && workers > 1 && v.db === undefined)
      throw new UsageError(
        'veriterm upstream simulate: --workers above 1 needs --db (several workers share one PostgreSQL database)',
      );
    const report = await runSimulation({
      terminals,
      stores,
      salesPerSecond,
      durationS,
      ...(lines !== undefined ? { lines } : {}),
      ...(processes !== undefined ? { processes } : {}),
      ...(dropShare !== undefined ? { dropShare } : {}),
      ...(clones !== undefined ? { clones } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(v.db !== undefined ? { database: v.db } : {}),
      ...(workers !== undefined ? { workers } : {}),
      ...(v['register-sold-codes'] ? { registerSoldCodes: true } : {}),
      ...(minDeltaIntervalMs !== undefined ? { minDeltaIntervalMs } : {}),
      progress: (line) => io.stderr.write(`${line}\n`),
    });
    io.stdout.write(v.json ? `${JSON.stringify(report, null, 2)}\n` : `${reportLines(report).join('\n')}\n`);
    return report.lost === 0 &&
      report.unacknowledged === 0 &&
      report.duplicated === 0 &&
      report.clonesAlerted === report.clonesPlanned
      ? 0
      : 1;
  },
};
