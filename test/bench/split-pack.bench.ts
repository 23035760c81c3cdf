import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SaleLineInput } from '../../terminal/lanes/checkout-types.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { code, openTerminal, SPLIT } from '../integration/checkout/checkout-fixture.js';
import { report, scaled } from './lib.js';

const BENCH = 'split-pack';

/** CPU (user + system, ms) of this process so far: µs resolution, unlike /proc ticks. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Raw baseline: the rows a one-line sale with its write-off writes (2 records, 2 outbox rows, one
 * write-off row) in one bare better-sqlite3 transaction, WAL + synchronous=FULL, no hashing,
 * signing, verification or projections.
 */
function rawCpuPerTx(dir: string, n: number): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE records (seq INTEGER PRIMARY KEY, id TEXT, payload TEXT, hash TEXT, signature TEXT);
           CREATE TABLE write_offs (code_key TEXT PRIMARY KEY, seq INTEGER);
           CREATE TABLE outbox (seq INTEGER PRIMARY KEY);`);
  const rec = db.prepare('INSERT INTO records (seq, id, payload, hash, signature) VALUES (?, ?, ?, ?, ?)');
  const wo = db.prepare('INSERT INTO write_offs (code_key, seq) VALUES (?, ?)');
  const out = db.prepare('INSERT INTO outbox (seq) VALUES (?)');
  const payload = JSON.stringify({
    lines: [{ codeKey: code(1), codeTail: '010000', reason: 'active', verdict: 'genuine' }],
  });
  let seq = 0;
  const tx = db.transaction((key: string) => {
    for (let i = 0; i < 2; i++) {
      rec.run(++seq, `id-${seq}`, payload, 'a'.repeat(64), 'b'.repeat(88));
      out.run(seq);
    }
    wo.run(key, seq);
  });
  const start = cpuMs();
  for (let i = 0; i < n; i++) tx(code(i + 1));
  const spent = cpuMs() - start;
  db.close();
  return spent / n;
}

type Kind = 'whole_split' | 'partial' | 'last_part' | 'whole_plain';

/**
 * Partial vs whole-pack sales (拆零), CPU per sale through CheckoutService.completeSale on a real
 * ledger file (verification, judging, signing, the durable commit): one line per sale, kinds
 * alternated round by round so drift and other load fall on all of them alike.
 * - `whole_split`: a whole pack of a splittable product (sale + write-off);
 * - `partial`: 3 of 10 strips of a fresh pack (sale only, its split-part row);
 * - `last_part`: the 7 left of a pack `partial` opened (sale + split-part row + write-off);
 * - `whole_plain`: a whole pack of a product that is not splittable (the path before split packs).
 */
export async function run(): Promise<void> {
  const temp = makeTempDir('veriterm-bench-split-');
  const t = openTerminal({ dir: temp.dir });
  try {
    const perRound = scaled(200);
    const rounds = 16;
    let serial = 1;
    const opened: string[] = [];
    const lineOf: Record<Kind, () => SaleLineInput> = {
      whole_split: () => ({ data: code(serial++, SPLIT) }),
      partial: () => {
        const data = code(serial++, SPLIT);
        opened.push(data);
        return { data, quantity: 3 };
      },
      last_part: () => ({ data: opened.shift()!, quantity: 7 }),
      whole_plain: () => ({ data: code(serial++) }),
    };
    const kinds: Kind[] = ['whole_split', 'partial', 'last_part', 'whole_plain'];
    const spent: Record<Kind, number> = { whole_split: 0, partial: 0, last_part: 0, whole_plain: 0 };
    // Warm-up (JIT, statement caches), not counted.
    for (const kind of kinds) {
      for (let i = 0; i < 50; i++) t.checkout.completeSale({ lines: [lineOf[kind]()] });
    }
    for (let r = 0; r < rounds; r++) {
      // Rotate the order; `partial` always runs before `last_part` has to take its packs.
      const order = r % 2 === 0 ? kinds : (['partial', 'whole_plain', 'last_part', 'whole_split'] as Kind[]);
      for (const kind of order) {
        const lines = Array.from({ length: perRound }, () => lineOf[kind]());
        const start = cpuMs();
        for (const line of lines) {
          const outcome = t.checkout.completeSale({ lines: [line] });
          if (!outcome.ok) throw new Error(`${kind} sale refused: ${outcome.message}`);
        }
        spent[kind] += cpuMs() - start;
      }
    }
    const n = perRound * rounds;
    const raw = rawCpuPerTx(temp.dir, n);
    report(BENCH, 'sales_per_kind', n, 'sales');
    report(BENCH, 'raw_baseline_cpu_per_tx', raw, 'ms');
    for (const kind of kinds) report(BENCH, `cpu_per_sale_${kind}`, spent[kind] / n, 'ms');
    report(BENCH, 'ratio_partial_to_whole', spent.partial / spent.whole_split, 'x');
    report(BENCH, 'ratio_last_part_to_whole', spent.last_part / spent.whole_split, 'x');
    report(BENCH, 'ratio_whole_split_to_whole_plain', spent.whole_split / spent.whole_plain, 'x');
    report(BENCH, 'ratio_whole_to_raw', spent.whole_split / n / raw, 'x');
  } finally {
    t.close();
    temp.cleanup();
  }
}
