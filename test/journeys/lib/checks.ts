/**
 * The comparisons of the store-day tests that are not about one step: a ledger record as one line
 * (the model writes the same lines), and the end of the day at upstream.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import { STORES, type StoreDayModel } from './model.js';
import type { StoreDayStack } from './stack.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

export class Divergence extends Error {
  constructor(
    readonly what: string,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(`${what}\n    expected: ${JSON.stringify(expected)}\n    actual:   ${JSON.stringify(actual)}`);
  }
}

/**
 * Upstream holds every record of both terminals once, in order (same seq, same hash); no ingest
 * alert (gap, fork, bad signature); exactly the clone alerts the model expects; and both ledger
 * files, as they lie on disk after the day's SIGKILLs, pass `veriterm ledger verify` against the
 * key upstream enrolled.
 */
export function checkUpstream(stack: StoreDayStack, model: StoreDayModel): void {
  const clones: string[] = [];
  for (const store of STORES) {
    const t = stack.store(store).terminal;
    const local = t.records().map((r) => ({ seq: r.seq, hash: r.hash }));
    const rows = stack.upstreamDb
      .prepare(
        'SELECT seq, hash, type, payload FROM up_records WHERE store_id = ? AND terminal_id = ? ORDER BY seq',
      )
      .all(store, t.terminalId) as { seq: number; hash: string; type: string; payload: string }[];
    same(
      `upstream's copy of ${store}'s ledger (seq, hash)`,
      local,
      rows.map((r) => ({ seq: r.seq, hash: r.hash })),
    );
    for (const r of rows) {
      const p = JSON.parse(r.payload) as { kind?: string; codeKey?: string };
      if (r.type === 'alert' && p.kind === 'clone') clones.push(`${store}:${p.codeKey}`);
    }
  }
  same('upstream ingest alerts (gap, fork, bad signature …)', [], stack.upstream.store.alerts());
  same('clone alerts at upstream (store:code)', model.cloneAlerts().sort(), clones.sort());
  for (const store of STORES) {
    const t = stack.store(store).terminal;
    const verified = ledgerVerify(t.dataDir, t.publicKeyPem);
    if (verified.status !== 0) throw new Divergence(`veriterm ledger verify at ${store}`, 'exit 0', verified);
  }
}

/** `veriterm ledger verify --data DIR --public-key FILE`: exit status and output. */
function ledgerVerify(dataDir: string, publicKeyPem: string): { status: number | null; output: string } {
  const keyFile = join(dataDir, 'enrolled-key.pem');
  writeFileSync(keyFile, publicKeyPem);
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'veriterm.js'), 'ledger', 'verify', '--data', dataDir, '--public-key', keyFile],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** One line per ledger record, as the model writes them. */
export function describeRecord(r: LedgerRecord): string {
  const p = r.payload as { lines?: { codeKey: string }[]; codeKey?: string; kind?: string };
  switch (r.type) {
    case 'sale':
      return `sale:${(p.lines ?? []).map((l) => l.codeKey).join(',')}`;
    case 'write_off':
      return `write_off:${p.codeKey}`;
    case 'return':
      return `return:${(p.lines ?? []).map((l) => l.codeKey).join(',')}`;
    case 'alert':
      return `alert:${p.kind}:${p.codeKey}`;
    default:
      return r.type;
  }
}

export function ok<T>(
  answer: { status: number; body: { status: 'ok'; data: T } | { status: 'error'; error: unknown } },
  what: string,
): T {
  if (answer.body.status !== 'ok') throw new Divergence(what, 'status ok', answer);
  return answer.body.data;
}

export function same(what: string, expected: unknown, actual: unknown): void {
  if (JSON.stringify(expected) !== JSON.stringify(actual)) throw new Divergence(what, expected, actual);
}
