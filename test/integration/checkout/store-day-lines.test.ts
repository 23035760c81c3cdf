import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCode, productKeyOf } from '../../../terminal/codes/index.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { HealthModel } from '../../../terminal/health/health-model.js';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/index.js';
import { CheckoutService } from '../../../terminal/lanes/checkout.js';
import { ReturnsService } from '../../../terminal/lanes/returns.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import type { AlertPayload, SalePayload } from '../../../terminal/ledger/payloads.js';
import { silentLogger } from '../../../terminal/logger.js';
import { createDemoRegistry } from '../../../terminal/registry/demo.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import { createTerminalSync } from '../../../terminal/sync/for-terminal.js';
import { QueryLog, Verifier } from '../../../terminal/verify/index.js';
import { startDemoUpstream } from '../../../upstream/start-demo-upstream.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { until } from '../sync/harness.js';

/**
 * A store day on the `npm start` stack (signed demo registry published by the reference upstream,
 * embedded broker, terminal sync): two stores; store A sells product-only packs on approval sale
 * after sale, across a restart, meets a code that disagrees with its unit; everything reaches
 * upstream once, only unit codes become "sold" there, and store B still sells the product-only
 * pack while refusing the unit store A sold.
 */
describe('store day: product-only packs and a mismatched code, through upstream', () => {
  const tmp = makeTempDir('vt-lines-day-');
  const stops: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    tmp.cleanup();
  });

  it('sells every pack, writes off only units, and files the mismatch alert upstream', {
    timeout: 60_000,
  }, async () => {
    const demo = await createDemoRegistry(join(tmp.dir, 'authoring'), { scope: 'demo' });
    const code = (reason: string) => demo.codes.find((c) => c.reason === reason)!;
    const ean = code('no_serial');
    const genuine = demo.codes.find((c) => c.expect === 'genuine' && c.scan.startsWith(']d2'))!;
    const clone = code('batch_mismatch');
    const identities = ['store-a', 'store-b'].map((storeId) => ({
      storeId,
      identity: loadOrCreateTerminalKey(join(tmp.dir, storeId, 'terminal-ed25519.pem')),
    }));
    const up = await startDemoUpstream({
      dataDir: join(tmp.dir, 'upstream'),
      registryDir: demo.dir,
      manifestFile: demo.manifestFile,
      scope: demo.scope,
      logger: silentLogger(),
      terminals: identities.map((t) => ({
        storeId: t.storeId,
        terminalId: 't1',
        publicKey: t.identity.publicKeyPem,
      })),
    });
    stops.push(() => up.stop());

    /** A checkout terminal of `storeId` on its files (reopened after a restart), linked to upstream. */
    const open = async (storeId: string) => {
      const dir = join(tmp.dir, storeId);
      const identity = loadOrCreateTerminalKey(join(dir, 'terminal-ed25519.pem'));
      const db = openDatabase(join(dir, 'terminal.db'));
      const ledger = new Ledger({ db, identity, storeId, terminalId: 't1' });
      const registry = RegistryStore.open(join(dir, 'registry.db'));
      const verifier = new Verifier({
        parse: parseCode,
        productKeyOf,
        registry,
        ledger,
        queryLog: new QueryLog(db),
        config: { maxRegistryAgeMs: 72 * 3_600_000, expiredPolicy: 'block', unverifiablePolicy: 'block' },
      });
      const sync = createTerminalSync(
        { config: { dataDir: dir }, logger: silentLogger(), ledger, registry, health: new HealthModel() },
        {
          ...up.terminalSyncOptions(storeId, 't1'),
          reconnect: { initialDelayMs: 50 },
          drain: { pollIntervalMs: 50 },
        },
        { registryTrust: { pinnedRoot: demo.root } },
      );
      await sync.start();
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        await sync.stop();
        registry.close();
        db.close();
      };
      stops.push(close);
      const deps = { ledger, verifier };
      return {
        ledger,
        registry,
        sync,
        checkout: new CheckoutService(deps),
        returns: new ReturnsService(deps),
        close,
      };
    };

    let a = await open('store-a');
    const b = await open('store-b');
    await until(
      () => a.registry.state() !== undefined && b.registry.state() !== undefined,
      'both took the snapshot',
    );
    const approval = { by: 'manager', reason: 'EAN only on this pack' };
    const sell = (t: typeof a, lines: { data: string; override?: typeof approval }[]) => {
      const outcome = t.checkout.completeSale({ lines });
      if (!outcome.ok) throw new Error(JSON.stringify(outcome));
      return outcome.sale;
    };

    // Morning: three packs of the same EAN, one sale each.
    for (let i = 0; i < 3; i++)
      expect(sell(a, [{ data: ean.scan, override: approval }]).writeOffs).toEqual([]);
    // A pack carrying the genuine serial with another batch and date: refused, alert filed.
    const refused = a.checkout.completeSale({ lines: [{ data: clone.scan }] });
    expect(refused).toMatchObject({ ok: false, refused: [{ reason: 'batch_mismatch', overridable: false }] });
    const mixed = sell(a, [{ data: genuine.scan }, { data: ean.scan, override: approval }]);
    expect(mixed.writeOffs.map((w) => w.codeKey)).toEqual([genuine.key]);
    // The lane restarts mid-day; the next EAN pack still sells.
    await a.close();
    a = await open('store-a');
    expect(a.checkout.checkLine(ean.scan)).toMatchObject({ decision: 'overridable', productOnly: true });
    sell(a, [{ data: ean.scan, override: approval }]);

    // Upstream has every record once, in order: 5 sales, 1 write-off, 1 alert.
    await until(() => a.ledger.stats().pending === 0, 'store A drained');
    const rows = up.upstream.store.db
      .prepare("SELECT seq, type, payload FROM up_records WHERE store_id = 'store-a' ORDER BY seq")
      .all() as { seq: number; type: string; payload: string }[];
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(rows.map((r) => r.type)).toEqual(['sale', 'sale', 'sale', 'alert', 'sale', 'write_off', 'sale']);
    const alert = JSON.parse(rows[3]!.payload) as AlertPayload;
    expect(alert).toMatchObject({
      kind: 'code_mismatch',
      codeKey: genuine.key,
      verdict: 'unknown',
      reason: 'batch_mismatch',
      mismatch: {
        batch: { scanned: 'L2507', registered: 'L2506' },
        expiry: { scanned: '2028-06-30', registered: '2099-05-31' },
      },
    });
    const lines = rows
      .filter((r) => r.type === 'sale')
      .flatMap((r) => (JSON.parse(r.payload) as SalePayload).lines);
    expect(lines.filter((l) => l.productOnly).map((l) => l.codeKey)).toEqual(Array(5).fill(ean.key));
    // Only the unit became "sold" upstream; the product key never did.
    const events = up.upstream.store.db.prepare('SELECT key, status FROM up_unit_events').all();
    expect(events).toEqual([{ key: genuine.key, status: 'sold' }]);

    // Store B learns the unit sold at A, and sells the EAN pack on approval as usual.
    await until(() => b.registry.lookup(genuine.key).unit?.status === 'sold', 'store B learns the sale');
    expect(b.checkout.checkLine(genuine.scan)).toMatchObject({
      verdict: 'already_sold',
      decision: 'refused',
    });
    expect(b.registry.lookup(ean.key).unit).toBeUndefined();
    expect(b.checkout.checkLine(ean.scan)).toMatchObject({ decision: 'overridable', reason: 'no_serial' });
    expect(sell(b, [{ data: ean.scan, override: approval }]).writeOffs).toEqual([]);
    // And store A cannot take the EAN back by its code, but can take the unit.
    expect(a.returns.processReturn({ approvedBy: 'manager', lines: [{ data: ean.scan }] })).toMatchObject({
      ok: false,
      refused: [{ reason: 'product_only' }],
    });
    expect(a.returns.processReturn({ approvedBy: 'manager', lines: [{ data: genuine.scan }] })).toMatchObject(
      { ok: true },
    );
  });
});
