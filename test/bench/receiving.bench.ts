import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gs1CheckDigit } from '../../terminal/codes/check-digit.js';
import { openDatabase, type SqliteDatabase } from '../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import { ReceivingSession } from '../../terminal/receiving/checkin-service.js';
import {
  checkDeliveryNote,
  importDeliveryNote,
  storeDeliveryNote,
} from '../../terminal/receiving/import-note.js';
import type { DeliveryNoteInput, UnsignedDeliveryNote } from '../../terminal/receiving/note-format.js';
import { ReceivingStore } from '../../terminal/receiving/receiving-store.js';
import { MemoryRegistry } from '../../terminal/registry/testing/memory-registry.js';
import { signCommand } from '../../terminal/sync/command-signing.js';
import { SyncStore } from '../../terminal/sync/sync-store.js';
import { nowMs, percentile, report, scaled } from './lib.js';
import { checkoutCpu } from './receiving-checkout.js';

const B = 'receiving';
const STORE = 's1';
const upstream = generateKeyPairSync('ed25519');
const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);

function sscc(n: number): string {
  const body = `00614141${String(n).padStart(9, '0')}`;
  return body + gs1CheckDigit(body);
}

/** cn20 unit `n` of product `p`: 7-digit product code, 9-digit serial, 4-digit tail. */
function cn20(n: number, p: number): string {
  return `${6_900_000 + p}${String(n).padStart(9, '0')}${String((n * 7) % 10_000).padStart(4, '0')}`;
}

/** `pallets` × `cases` × `perCase` units numbered from `first`; one product per case (500 products). */
function note(
  id: string,
  firstPallet: number,
  pallets: number,
  cases: number,
  perCase: number,
  first: number,
): DeliveryNoteInput {
  let n = first;
  return {
    deliveryId: id,
    supplier: { id: 'sup-1', name: 'Bench wholesaler' },
    expectedArrival: new Date().toISOString(),
    pallets: Array.from({ length: pallets }, (_, p) => ({
      sscc: sscc((firstPallet + p) * 1000),
      cases: Array.from({ length: cases }, (_, c) => ({
        sscc: sscc((firstPallet + p) * 1000 + c + 1),
        units: Array.from({ length: perCase }, () => {
          n++;
          return cn20(n, (p * cases + c) % 500);
        }),
      })),
    })),
  };
}

function signed(n: DeliveryNoteInput): Record<string, unknown> {
  const unsigned: UnsignedDeliveryNote = {
    v: 1,
    kind: 'delivery_note',
    id: `bench-${n.deliveryId}-${Math.random().toString(36).slice(2)}`,
    target: { storeId: STORE },
    issuedAt: new Date(Date.now() - 1000).toISOString(),
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    note: n,
  };
  return signCommand(unsigned, upstream.privateKey);
}

interface Terminal {
  db: SqliteDatabase;
  ledger: Ledger;
  store: ReceivingStore;
  nonces: SyncStore;
}

function terminal(file: string): Terminal {
  const db = openDatabase(file);
  const ledger = new Ledger({ db, identity, storeId: STORE, terminalId: 't1' });
  return { db, ledger, store: new ReceivingStore(db), nonces: new SyncStore(db) };
}

function importNote(t: Terminal, raw: unknown) {
  const result = importDeliveryNote(raw, {
    store: t.store,
    nonces: t.nonces,
    keys: [upstream.publicKey],
    storeId: STORE,
    maxClockSkewMs: 60_000,
    nowMs: Date.now(),
  });
  if (!result.ok) throw new Error(`bench note refused: ${result.code} ${result.message}`);
  return result;
}

function session(t: Terminal, deliveryId: string): ReceivingSession {
  // A registry with a state (so every unit is looked up) and no problems to report.
  const registry = new MemoryRegistry({
    products: [],
    batches: [],
    units: [],
    state: {
      scope: 'cn',
      version: 1,
      asOf: new Date().toISOString(),
      expires: '2099-01-01T00:00:00Z',
      units: 0,
      contentHash: '-',
    },
  });
  return new ReceivingSession({ store: t.store, ledger: t.ledger, registry }, deliveryId);
}

/** Bytes the database's used pages take (page count − free pages, × page size), WAL checkpointed. */
function usedBytes(db: SqliteDatabase): number {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const size = db.pragma('page_size', { simple: true }) as number;
  return (pages - free) * size;
}

function applyNote(dir: string): void {
  const units = scaled(100_000);
  const perCase = 50;
  const cases = 50;
  const pallets = Math.max(1, Math.round(units / (cases * perCase)));
  const t = terminal(join(dir, 'apply.db'));
  const n = note('D-APPLY', 1, pallets, cases, perCase, 0);
  const raw = signed(n);
  const ctx = {
    store: t.store,
    nonces: t.nonces,
    keys: [upstream.publicKey],
    storeId: STORE,
    maxClockSkewMs: 60_000,
    nowMs: Date.now(),
  };
  const started = nowMs();
  const checked = checkDeliveryNote(raw, ctx);
  const checkedAt = nowMs();
  if (!checked.ok) throw new Error(`bench note refused: ${checked.code}`);
  const result = storeDeliveryNote(checked, ctx);
  const ms = nowMs() - started;
  if (!result.ok) throw new Error(`bench note refused: ${result.code}`);
  report(B, 'apply_note_units', result.units, 'units');
  report(B, 'apply_note', ms / 1000, 's');
  // Signature, schema, every unit code read, tree checks: no lock held.
  report(B, 'apply_note_check', (checkedAt - started) / 1000, 's');
  // The one transaction (nonce, note, containers, units): what holds terminal.db's write lock.
  report(B, 'apply_note_transaction', (nowMs() - checkedAt) / 1000, 's');
  // Raw: the same unit rows (key text, container) inserted sorted into a bare WITHOUT ROWID table.
  const raw2 = openDatabase(join(dir, 'apply-raw.db'));
  raw2.exec('CREATE TABLE u (key TEXT PRIMARY KEY, container INTEGER NOT NULL) WITHOUT ROWID');
  const rows = n.pallets!.flatMap((p, pi) =>
    p.cases!.flatMap((c, ci) => c.units.map((u) => [u, pi * cases + ci] as const)),
  );
  rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const insert = raw2.prepare('INSERT INTO u (key, container) VALUES (?, ?)');
  const rawStarted = nowMs();
  raw2.transaction(() => {
    for (const [k, c] of rows) insert.run(k, c);
  })();
  report(B, 'apply_note_raw_insert', (nowMs() - rawStarted) / 1000, 's');
  raw2.close();
  t.ledger.close();
  t.db.close();
}

function palletCheckIn(dir: string): void {
  const pallets = Math.max(5, scaled(40));
  const t = terminal(join(dir, 'pallets.db'));
  importNote(t, signed(note('D-PALLETS', 1, pallets, 48, 50, 0)));
  const s = session(t, 'D-PALLETS');
  const times: number[] = [];
  for (let p = 1; p <= pallets; p++) {
    const started = nowMs();
    const answer = s.scan(`]C100${sscc(p * 1000)}`);
    times.push(nowMs() - started);
    if (answer.checkedIn !== 2400) throw new Error(`pallet ${p}: checked in ${answer.checkedIn}`);
  }
  // Raw: the same 2,400 unit rows inserted in one durable transaction (synchronous=FULL).
  const raw = openDatabase(join(dir, 'pallets-raw.db'));
  raw.exec(
    'CREATE TABLE u (product INTEGER NOT NULL, rest TEXT NOT NULL, container INTEGER NOT NULL, PRIMARY KEY (product, rest)) WITHOUT ROWID',
  );
  const insert = raw.prepare('INSERT INTO u (product, rest, container) VALUES (?, ?, ?)');
  const rawTimes: number[] = [];
  let n = 0;
  for (let p = 0; p < pallets; p++) {
    const rows = Array.from({ length: 2400 }, (_, i) => [i % 48, cn20(++n, i % 48).slice(7), p] as const);
    const started = nowMs();
    raw.transaction(() => {
      for (const r of rows) insert.run(...r);
    })();
    rawTimes.push(nowMs() - started);
  }
  raw.close();
  report(B, 'pallet_48x50_checkin_p50', percentile(times, 50), 'ms');
  report(B, 'pallet_48x50_checkin_p99', percentile(times, 99), 'ms');
  report(B, 'pallet_raw_insert_2400_p50', percentile(rawTimes, 50), 'ms');
  report(B, 'pallet_raw_insert_2400_p99', percentile(rawTimes, 99), 'ms');
  report(B, 'pallet_checkin_vs_raw_p99', percentile(times, 99) / percentile(rawTimes, 99), 'x');
  t.ledger.close();
  t.db.close();
}

function stockBytes(dir: string): void {
  const total = scaled(1_000_000);
  const perNote = Math.min(total, 100_000);
  const notes = Math.max(1, Math.round(total / perNote));
  const palletsPerNote = Math.max(1, Math.round(perNote / 2500));
  const t = terminal(join(dir, 'stock.db'));
  const before = usedBytes(t.db);
  let units = 0;
  const started = nowMs();
  for (let i = 0; i < notes; i++) {
    const id = `D-STOCK-${i}`;
    units += importNote(
      t,
      signed(note(id, 1 + i * palletsPerNote, palletsPerNote, 50, 50, i * perNote)),
    ).units;
    const s = session(t, id);
    for (let p = 0; p < palletsPerNote; p++) s.scan(`]C100${sscc((1 + i * palletsPerNote + p) * 1000)}`);
    s.close({ outcome: 'complete' });
  }
  const receivedS = (nowMs() - started) / 1000;
  const after = usedBytes(t.db);
  report(B, 'stock_units', units, 'units');
  report(B, 'stock_receive_close_all', receivedS, 's');
  // What stock itself keeps (receiving tables and their indexes), from SQLite's dbstat.
  const byTable = t.db
    .prepare(
      `SELECT CASE WHEN name LIKE '%receiving%' THEN 'receiving' WHEN name LIKE 'ledger_%' THEN 'ledger' ELSE 'other' END AS part,
         sum(pgsize) AS bytes FROM dbstat GROUP BY part`,
    )
    .all() as { part: string; bytes: number }[];
  const part = (name: string) => byTable.find((r) => r.part === name)?.bytes ?? 0;
  report(B, 'stock_bytes_per_unit', part('receiving') / units, 'B');
  report(B, 'stock_ledger_bytes_per_unit', part('ledger') / units, 'B');
  report(B, 'stock_file_growth_per_unit', (after - before) / units, 'B');
  // Raw: the bare set of unit keys (text primary key, WITHOUT ROWID), inserted sorted.
  const raw = openDatabase(join(dir, 'stock-raw.db'));
  raw.exec('CREATE TABLE k (key TEXT PRIMARY KEY) WITHOUT ROWID');
  const rawBefore = usedBytes(raw);
  const insert = raw.prepare('INSERT INTO k (key) VALUES (?)');
  const keys = Array.from({ length: units }, (_, i) => cn20(i + 1, i % 500)).sort();
  raw.transaction(() => {
    for (const k of keys) insert.run(k);
  })();
  report(B, 'stock_raw_key_set_bytes_per_unit', (usedBytes(raw) - rawBefore) / units, 'B');
  raw.close();
  // The ledger records the receipts added (they are part of the growth above).
  const ledgerBytes = (
    t.db.prepare("SELECT sum(length(payload)) AS n FROM ledger_records WHERE type = 'receipt'").get() as {
      n: number;
    }
  ).n;
  report(B, 'stock_receipt_payload_bytes_per_unit', ledgerBytes / units, 'B');
  t.ledger.close();
  t.db.close();
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vt-bench-receiving-'));
  try {
    applyNote(dir);
    palletCheckIn(dir);
    stockBytes(dir);
    checkoutCpu(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
