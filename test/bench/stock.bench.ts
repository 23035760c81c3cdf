import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gs1CheckDigit } from '../../terminal/codes/check-digit.js';
import { openDatabase } from '../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import type { UnitKeysByProduct } from '../../terminal/ledger/payloads.js';
import { ReceivingSession } from '../../terminal/receiving/checkin-service.js';
import { importDeliveryNote } from '../../terminal/receiving/import-note.js';
import type { DeliveryNoteInput, UnsignedDeliveryNote } from '../../terminal/receiving/note-format.js';
import { ReceivingStore } from '../../terminal/receiving/receiving-store.js';
import { MemoryRegistry } from '../../terminal/registry/testing/memory-registry.js';
import { StockReads } from '../../terminal/stock/stock-reads.js';
import { StockStore } from '../../terminal/stock/stock-store.js';
import { type StocktakeReport, StocktakeService } from '../../terminal/stock/stocktake-service.js';
import { signCommand } from '../../terminal/sync/command-signing.js';
import { SyncStore } from '../../terminal/sync/sync-store.js';
import { salePayload } from '../helpers/ledger-payloads.js';
import { nowMs, percentile, report, scaled } from './lib.js';

/**
 * `npm run bench -- stock`: a stocktake of 20,000 scanned units against 1,000,000 on hand
 * (docs/stock.md, "Figures"). Stock is built through the real path (signed notes imported, pallets
 * checked in, deliveries closed); the stocktake's scans go through the service in batches (a
 * handheld's upload), then the report is timed from the last scan's commit. Two scopes: the ten
 * products on the scanned shelves (the cycle count a store runs), and the whole store (980,000
 * units missing, all listed). Raw baselines from the same run: the on-hand key set read bare.
 */
const B = 'stock';
const STORE = 's1';
const upstream = generateKeyPairSync('ed25519');
const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
const PRODUCTS = 500;
const SCOPE_PRODUCTS = 10;

function sscc(n: number): string {
  const body = `00614141${String(n).padStart(9, '0')}`;
  return body + gs1CheckDigit(body);
}

function cn20(n: number, p: number): string {
  return `${6_900_000 + p}${String(n).padStart(9, '0')}${String((n * 7) % 10_000).padStart(4, '0')}`;
}

/** Pallets of 50 cases × 50 units numbered from `first`; one product per case. */
function note(
  id: string,
  firstPallet: number,
  pallets: number,
  first: number,
  byProduct: Map<number, string[]>,
) {
  let n = first;
  const input: DeliveryNoteInput = {
    deliveryId: id,
    supplier: { id: 'sup-1', name: 'Bench wholesaler' },
    expectedArrival: new Date().toISOString(),
    pallets: Array.from({ length: pallets }, (_, p) => ({
      sscc: sscc((firstPallet + p) * 1000),
      cases: Array.from({ length: 50 }, (_, c) => {
        const product = ((firstPallet + p) * 50 + c) % PRODUCTS;
        const units = Array.from({ length: 50 }, () => cn20(++n, product));
        if (product < SCOPE_PRODUCTS) {
          const listed = byProduct.get(product) ?? [];
          listed.push(...units);
          byProduct.set(product, listed);
        }
        return { sscc: sscc((firstPallet + p) * 1000 + c + 1), units };
      }),
    })),
  };
  const unsigned: UnsignedDeliveryNote = {
    v: 1,
    kind: 'delivery_note',
    id: `bench-${id}`,
    target: { storeId: STORE },
    issuedAt: new Date(Date.now() - 1000).toISOString(),
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    note: input,
  };
  return signCommand(unsigned, upstream.privateKey);
}

/** A report's lists as sets: the same differences whatever order they were listed in. */
function sameReport(a: StocktakeReport, b: StocktakeReport): boolean {
  const sets = (r: StocktakeReport) =>
    JSON.stringify({
      ...r,
      missing: sorted(r.missing),
      extra: {
        notReceived: sorted(r.extra.notReceived),
        sold: sorted(r.extra.sold),
        leftStock: sorted(r.extra.leftStock),
      },
    });
  return sets(a) === sets(b);
}

function sorted(listing: UnitKeysByProduct): [string, string[]][] {
  return Object.entries(listing)
    .map(([k, rests]): [string, string[]] => [k, [...rests].sort()])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

/** One whole-pack sale of a unit on hand, as the checkout writes it off. */
function sellDuringCount(ledger: Ledger, codeKey: string): void {
  ledger.transaction(() => {
    const sale = ledger.append('sale', salePayload([codeKey]));
    ledger.append('write_off', { codeKey, saleId: sale.id, line: 0 });
  });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vt-bench-stock-'));
  try {
    const db = openDatabase(join(dir, 'terminal.db'));
    const ledger = new Ledger({ db, identity, storeId: STORE, terminalId: 't1' });
    const receiving = new ReceivingStore(db);
    const nonces = new SyncStore(db);
    const registry = new MemoryRegistry({ products: [], batches: [], units: [] });
    const total = scaled(1_000_000);
    const perNote = Math.min(total, 100_000);
    const palletsPerNote = Math.max(1, Math.round(perNote / 2500));
    const notes = Math.max(1, Math.round(total / (palletsPerNote * 2500)));
    const inScope = new Map<number, string[]>();
    const built = nowMs();
    for (let i = 0; i < notes; i++) {
      const id = `D-${i}`;
      const first = 1 + i * palletsPerNote;
      const result = importDeliveryNote(note(id, first, palletsPerNote, i * perNote, inScope), {
        store: receiving,
        nonces,
        keys: [upstream.publicKey],
        storeId: STORE,
        maxClockSkewMs: 60_000,
        nowMs: Date.now(),
      });
      if (!result.ok) throw new Error(`bench note refused: ${result.code} ${result.message}`);
      const s = new ReceivingSession({ store: receiving, ledger, registry }, id);
      for (let p = 0; p < palletsPerNote; p++) s.scan(`]C100${sscc((first + p) * 1000)}`);
      s.close({ outcome: 'complete' });
    }
    const store = new StockStore(db);
    const onHand = store.reader.countsByProduct().reduce((n, r) => n + r.onHand, 0);
    report(B, 'on_hand_units', onHand, 'units');
    report(B, 'build_stock', (nowMs() - built) / 1000, 's');
    const countsStarted = nowMs();
    store.reader.countsByProduct();
    report(B, 'counts_by_product', (nowMs() - countsStarted) / 1000, 's');

    // 20,000 scans: the scoped products' units less 10 (missing), plus 10 never received (extra).
    const shelf = [...inScope.values()].flat();
    const scans = [
      ...shelf.slice(10, 10 + scaled(20_000) - 10),
      ...Array.from({ length: 10 }, (_, i) => cn20(900_000_000 + i, 0)),
    ];
    const scopeKeys = [...inScope.keys()].map((p) => String(6_900_000 + p));
    const service = new StocktakeService({ store, ledger, registry });
    // The report as it was made before snapshots: every unit on hand read for each report.
    const fullRead = new StocktakeService({ store, ledger, registry, snapshots: false });
    const rawAll = db.prepare('SELECT product, rest FROM receiving_units').raw(true);
    const rawRead = () => {
      const started = nowMs();
      let rows = 0;
      for (const _ of rawAll.iterate()) rows++;
      return { s: (nowMs() - started) / 1000, rows };
    };
    for (const scope of ['scoped', 'all'] as const) {
      const t = service.open({ scope: scope === 'all' ? 'all' : scopeKeys, openedBy: 'bench' });
      // The terminal's reads thread (its own connection): the API's reports and the close's report.
      const reads = new StockReads({ store, stocktakes: service }, join(dir, 'terminal.db'));
      // Starts the thread (a scoped stocktake has no snapshot: nothing else), so no figure below
      // includes starting it.
      if (scope === 'scoped') await reads.prime(t.id);
      if (scope === 'all') {
        let started = nowMs();
        service.prime(t.id);
        report(B, 'stocktake_all_snapshot_at_open', (nowMs() - started) / 1000, 's');
        started = nowMs();
        await reads.prime(t.id);
        report(B, 'stocktake_all_snapshot_at_open_thread', (nowMs() - started) / 1000, 's');
      }
      const batchMs: number[] = [];
      const scanStarted = nowMs();
      for (let i = 0; i < scans.length; i += 500) {
        const started = nowMs();
        service.scanMany(t.id, scans.slice(i, i + 500));
        batchMs.push(nowMs() - started);
        // A sale during the count (the store stays open): the snapshot must follow it.
        if (scope === 'all' && i === 0) sellDuringCount(ledger, shelf[0]!);
      }
      report(B, `stocktake_${scope}_scanned`, scans.length, 'units');
      report(B, `stocktake_${scope}_scan_all`, (nowMs() - scanStarted) / 1000, 's');
      report(B, `stocktake_${scope}_scan_batch500_p50`, percentile(batchMs, 50), 'ms');
      // Raw baseline and the measured reads alternated: this VM's speed drifts.
      const rawBefore = rawRead();
      let lastScan = nowMs();
      const r = service.report(t.id);
      report(B, `stocktake_${scope}_report_after_last_scan`, (nowMs() - lastScan) / 1000, 's');
      // What the API does: the report made on the reads thread, as the JSON text it sends.
      lastScan = nowMs();
      const json = await reads.reportJson(t.id);
      report(B, `stocktake_${scope}_report_after_last_scan_thread_json`, (nowMs() - lastScan) / 1000, 's');
      lastScan = nowMs();
      const viaThread = await reads.report(t.id);
      report(B, `stocktake_${scope}_report_after_last_scan_thread_object`, (nowMs() - lastScan) / 1000, 's');
      report(B, `stocktake_${scope}_report_json_bytes`, json.length, 'B');
      report(B, `stocktake_${scope}_expected`, r.expected, 'units');
      report(B, `stocktake_${scope}_found`, r.found, 'units');
      let started = nowMs();
      const plain = fullRead.report(t.id);
      report(B, `stocktake_${scope}_report_full_read`, (nowMs() - started) / 1000, 's');
      const rawAfter = rawRead();
      report(B, `raw_read_all_units_${scope}`, Math.min(rawBefore.s, rawAfter.s), 's');
      report(B, `raw_read_all_units_${scope}_max`, Math.max(rawBefore.s, rawAfter.s), 's');
      // What the report says does not depend on how it was made (lists compared as sets).
      const same =
        sameReport(r, plain) &&
        sameReport(viaThread, plain) &&
        sameReport(JSON.parse(json) as StocktakeReport, plain);
      report(B, `stocktake_${scope}_same_report_as_full_read`, same ? 1 : 0, 'bool');
      if (!same) throw new Error(`stocktake ${scope}: the snapshot's report differs from the full read's`);
      // The close: report on the thread, then the transaction re-checks what changed since.
      // Event-loop time: the write transaction (closeWith) and everything else the close runs here
      // (taking the thread's report in); the report itself is made on the thread.
      let lockedMs = 0;
      const closeWith = service.closeWith.bind(service);
      service.closeWith = (id, prepared) => {
        const t0 = nowMs();
        try {
          return closeWith(id, prepared);
        } finally {
          lockedMs += nowMs() - t0;
        }
      };
      const elu = performance.eventLoopUtilization();
      started = nowMs();
      const record = await reads.closeStocktake(t.id);
      report(B, `stocktake_${scope}_close_signed_record`, (nowMs() - started) / 1000, 's');
      report(
        B,
        `stocktake_${scope}_close_event_loop_busy`,
        performance.eventLoopUtilization(elu).active / 1000,
        's',
      );
      report(B, `stocktake_${scope}_close_write_transaction`, lockedMs / 1000, 's');
      report(B, `stocktake_${scope}_record_bytes`, JSON.stringify(record.payload).length, 'B');
      if (!sameReport(record.payload, plain)) throw new Error(`stocktake ${scope}: the record differs`);
      await reads.close();
    }
    // Raw: the key set of what is on hand read bare (no state, no write-offs, no scans).
    const all = rawRead();
    report(B, 'raw_read_all_units', all.s, 's');
    report(B, 'raw_read_all_rows', all.rows, 'rows');
    const ids = JSON.stringify(scopeKeys.map((k) => store.knownProductId(k)));
    const rawScoped = db
      .prepare('SELECT product, rest FROM receiving_units WHERE product IN (SELECT value FROM json_each(?))')
      .raw(true);
    const started = nowMs();
    let rows = 0;
    for (const _ of rawScoped.iterate(ids)) rows++;
    report(B, 'raw_read_scoped_units', (nowMs() - started) / 1000, 's');
    report(B, 'raw_read_scoped_rows', rows, 'rows');
    ledger.close();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
