import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gs1CheckDigit } from '../../terminal/codes/check-digit.js';
import { openDatabase } from '../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import { ReceivingSession } from '../../terminal/receiving/checkin-service.js';
import { importDeliveryNote } from '../../terminal/receiving/import-note.js';
import type { DeliveryNoteInput, UnsignedDeliveryNote } from '../../terminal/receiving/note-format.js';
import { ReceivingStore } from '../../terminal/receiving/receiving-store.js';
import { MemoryRegistry } from '../../terminal/registry/testing/memory-registry.js';
import { StockStore } from '../../terminal/stock/stock-store.js';
import { StocktakeService } from '../../terminal/stock/stocktake-service.js';
import { signCommand } from '../../terminal/sync/command-signing.js';
import { SyncStore } from '../../terminal/sync/sync-store.js';
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
    for (const scope of ['scoped', 'all'] as const) {
      const t = service.open({ scope: scope === 'all' ? 'all' : scopeKeys, openedBy: 'bench' });
      const batchMs: number[] = [];
      const scanStarted = nowMs();
      for (let i = 0; i < scans.length; i += 500) {
        const started = nowMs();
        service.scanMany(t.id, scans.slice(i, i + 500));
        batchMs.push(nowMs() - started);
      }
      report(B, `stocktake_${scope}_scanned`, scans.length, 'units');
      report(B, `stocktake_${scope}_scan_all`, (nowMs() - scanStarted) / 1000, 's');
      report(B, `stocktake_${scope}_scan_batch500_p50`, percentile(batchMs, 50), 'ms');
      const lastScan = nowMs();
      const r = service.report(t.id);
      report(B, `stocktake_${scope}_report_after_last_scan`, (nowMs() - lastScan) / 1000, 's');
      report(B, `stocktake_${scope}_expected`, r.expected, 'units');
      report(B, `stocktake_${scope}_found`, r.found, 'units');
      const closeStarted = nowMs();
      const record = service.close(t.id);
      report(B, `stocktake_${scope}_close_signed_record`, (nowMs() - closeStarted) / 1000, 's');
      report(B, `stocktake_${scope}_record_bytes`, JSON.stringify(record.payload).length, 'B');
    }
    // Raw: the key set of what is on hand read bare (no state, no write-offs, no scans).
    const rawAll = db.prepare('SELECT product, rest FROM receiving_units').raw(true);
    let started = nowMs();
    let rows = 0;
    for (const _ of rawAll.iterate()) rows++;
    report(B, 'raw_read_all_units', (nowMs() - started) / 1000, 's');
    report(B, 'raw_read_all_rows', rows, 'rows');
    const ids = JSON.stringify(scopeKeys.map((k) => store.knownProductId(k)));
    const rawScoped = db
      .prepare('SELECT product, rest FROM receiving_units WHERE product IN (SELECT value FROM json_each(?))')
      .raw(true);
    started = nowMs();
    for (const _ of rawScoped.iterate(ids)) rows++;
    report(B, 'raw_read_scoped_units', (nowMs() - started) / 1000, 's');
    ledger.close();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
