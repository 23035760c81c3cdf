import { gs1CheckDigit } from '../../terminal/codes/check-digit.js';
import { parseCode } from '../../terminal/codes/index.js';
import { seededRandom as prng } from '../../terminal/seeded-random.js';
import { nowMs, report, scaled } from './lib.js';

const SET82 = '!"%&\'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';

/**
 * Mixed corpus like a busy store sees: GS1 DataMatrix element strings (with and without AIM,
 * Chestny Znak crypto tails), Digital Links, 20-digit supervision codes, EAN-13, and garbage
 * (typing, wrong layout, truncated scans).
 */
export function buildCorpus(size: number): string[] {
  const rnd = prng(42);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
  const chars = (n: number, set = SET82) =>
    Array.from({ length: n }, () => set[Math.floor(rnd() * set.length)]).join('');
  const gtin = () => {
    const d = digits(13);
    return d + gs1CheckDigit(d);
  };
  const gtin13 = () => {
    const d = digits(12);
    return d + gs1CheckDigit(d);
  };
  const kinds = [
    () =>
      `]d201${gtin()}17${27 + Math.floor(rnd() * 3)}1231 10${chars(6)}\x1d21${chars(12)}`.replace(' ', ''),
    () => `01${gtin()}21${chars(13)}\x1d91${chars(4)}\x1d92${chars(44)}`,
    () => `]d201${gtin()}21${chars(6)}\x1d93${chars(4)}\r`,
    () => `https://id.gs1.org/01/${gtin()}/10/${chars(5, 'ABCDEFGH0123456789')}/21/${digits(10)}?17=271231`,
    () => `https://brand.example/p/01/${gtin13()}/21/${chars(8, 'abcdef0123456789')}`,
    () => digits(20),
    () => `]C0${digits(20)}`,
    gtin13,
    () => chars(Math.floor(rnd() * 30) + 1, 'abcdefghijklmnopqrstuvwxyzЖФЫ 123'),
    () => `01${gtin()}21${chars(10)}`.slice(0, Math.floor(rnd() * 30)),
  ];
  return Array.from({ length: size }, (_, i) => kinds[i % kinds.length]!());
}

/** Raw baseline: what plain String/regex work over the same corpus costs (no AI table, no checks). */
function baseline(corpus: string[], rounds: number): number {
  const twenty = /^\d{20}$/;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    for (const s of corpus) {
      const t = s.trim();
      if (twenty.test(t)) sink += 1;
      else if (t.startsWith('http')) sink += t.split('/').length;
      else sink += t.split('\x1d').length;
    }
  }
  return sink;
}

/**
 * Runs `fn` and returns inputs per second of wall time and of this process's CPU time. The CPU
 * figure is what one core delivers even when other work shares the machine's two cores.
 */
function measure(corpus: string[], rounds: number, fn: (c: string[], r: number) => number) {
  fn(corpus, Math.max(1, Math.floor(rounds / 10))); // warm-up: let the JIT settle
  const cpu0 = process.cpuUsage();
  const start = nowMs();
  const sink = fn(corpus, rounds);
  const seconds = (nowMs() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (sink < 0) console.log(sink); // keep the result alive
  const n = corpus.length * rounds;
  return { wall: n / seconds, cpu: n / cpuSeconds };
}

export async function run(): Promise<void> {
  const corpus = buildCorpus(10_000);
  const rounds = Math.max(1, Math.round(scaled(2_000_000) / corpus.length));
  const parse = (c: string[], r: number) => {
    let ok = 0;
    for (let k = 0; k < r; k++) for (const s of c) if (parseCode(s).ok) ok++;
    return ok;
  };
  const okShare = parse(corpus, 1) / corpus.length;
  const parses = measure(corpus, rounds, parse);
  const raw = measure(corpus, rounds, baseline);
  report('codes', 'parses_per_s', Math.round(parses.wall), 'parses/s');
  report('codes', 'parses_per_cpu_s', Math.round(parses.cpu), 'parses/s');
  report('codes', 'baseline_string_ops_per_s', Math.round(raw.wall), 'inputs/s');
  report('codes', 'baseline_string_ops_per_cpu_s', Math.round(raw.cpu), 'inputs/s');
  report('codes', 'parse_vs_baseline', parses.cpu / raw.cpu, 'ratio');
  report('codes', 'corpus_ok_share', okShare, 'fraction');
  report('codes', 'mean_parse_cpu_time', 1e9 / parses.cpu, 'ns');
  report('codes', 'parses_measured', corpus.length * rounds, 'parses');
}
