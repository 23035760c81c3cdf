import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { openUpstreamStorage } from '../../../upstream/start-upstream.js';
import type { UpstreamStorage } from '../../../upstream/storage/contract.js';
import { PostgresUpstreamStorage } from '../../../upstream/storage/postgres/pg-storage.js';
import { runMerged } from '../../helpers/captured-io.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../../helpers/postgres.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const run = (argv: string[]) => runMerged(main, argv);

/** A record as ingest accepted it (the delivery storage reads type, id, seq, at and payload). */
const accepted = (id: string, seq: number, type: LedgerRecord['type'], payload: unknown, at: string) =>
  ({
    id,
    seq,
    type,
    payload,
    at,
    storeId: 's1',
    terminalId: 't1',
    prevHash: '',
    hash: '',
    signature: '',
  }) as LedgerRecord;
const goodsReceipt = (deliveryId: string) => ({
  deliveryId,
  supplierId: 'SUP-1',
  outcome: 'complete',
  expectedUnits: 2,
  containers: [],
  units: { '6900001': ['0000000010000', '0000000010001'] },
  missing: { containers: [], units: {} },
  exceptions: [],
});
const note = (id: string, deliveryId: string, sentAt: string) => ({
  id,
  deliveryId,
  storeId: 's1',
  terminalId: 't1',
  units: 2,
  sentAt,
  expiresAt: '2026-12-14T10:00:00.000Z',
});

/**
 * Upgrading to PostgreSQL: the delivery notes a worker kept in its own upstream.db (SQLite) are
 * copied into the shared database by `veriterm upstream deliveries import-local`, once.
 */
describe.skipIf(!(await hasPostgres()))('veriterm upstream deliveries import-local', () => {
  const tmp = makeTempDir('vt-pg-deliveries-import-');
  const data = join(tmp.dir, 'worker');
  let database: TestDatabase;
  let local: UpstreamStorage;
  let shared: PostgresUpstreamStorage;
  beforeAll(async () => {
    database = await createTestDatabase('vt_deliveries_import');
    // What a worker on SQLite kept: two notes (one answered), a receipt, a diversion alert, a transfer note.
    mkdirSync(data);
    local = await openUpstreamStorage({ dataDir: data, logger: silentLogger() });
    const d = local.deliveries;
    await d.recordSent(note('n1', 'D-1', '2026-12-01T10:00:00.000Z'));
    await d.recordSent(note('n2', 'D-2', '2026-12-02T10:00:00.000Z'));
    await d.recordOutcome('s1', 't1', {
      v: 1,
      id: 'n1',
      at: '2026-12-01T10:00:05.000Z',
      deliveryId: 'D-1',
      status: 'accepted',
      units: 2,
    });
    await d.noteRecords('s1', 't1', [
      accepted('r1', 5, 'receipt', goodsReceipt('D-1'), '2026-12-01T11:00:00.000Z'),
      accepted(
        'r2',
        6,
        'alert',
        { kind: 'diversion', codeKey: '69000010000000019998' },
        '2026-12-01T12:00:00.000Z',
      ),
    ]);
    await d.transfers.add({
      recordId: 'r9',
      deliveryId: 'TR-r9',
      fromStore: 's1',
      fromTerminal: 't1',
      toStore: 's2',
      units: 2,
      body: JSON.stringify({ deliveryId: 'TR-r9' }),
      createdAt: '2026-12-03T09:00:00.000Z',
    });
    shared = await PostgresUpstreamStorage.open({ url: database.url, logger: silentLogger() });
    // The shared database already kept note n1 unanswered (sent again from there): the local
    // outcome fills it in; an outcome already there would stay (the first wins).
    await shared.deliveries.recordSent(note('n1', 'D-1', '2026-12-01T10:00:00.000Z'));
  });
  afterAll(async () => {
    await local?.close();
    await shared?.close();
    await database?.drop();
    tmp.cleanup();
  });

  it('copies notes, outcomes, receipts, diversion alerts and transfer notes; a second run copies nothing', async () => {
    const argv = ['upstream', 'deliveries', 'import-local', '--data', data, '--db', database.url];
    const first = await run(argv);
    expect(first.code).toBe(0);
    expect(first.text).toContain(
      'delivery notes (or their outcomes): 2 copied, 0 already there (2 in the file)',
    );
    expect(first.text).toContain('goods receipts: 1 copied');
    expect(first.text).toContain('diversion alerts: 1 copied');
    expect(first.text).toContain('transfer notes: 1 copied');

    const listed = await local.deliveries.list();
    expect(listed.notes.map((n) => [n.id, n.status, n.receipts.length])).toEqual([
      ['n1', 'accepted', 1],
      ['n2', 'sent', 0],
    ]);
    expect(await shared.deliveries.list()).toEqual(listed);
    expect(await shared.deliveries.transfers.list()).toEqual(await local.deliveries.transfers.list());

    const second = await run(argv);
    expect(second.code).toBe(0);
    expect(second.text.match(/ 0 copied/g)).toHaveLength(4);
    expect(await shared.deliveries.list()).toEqual(listed);
    const { rows } = await shared.pool.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM up_delivery_notes) + (SELECT count(*) FROM up_delivery_receipts)
         + (SELECT count(*) FROM up_diversion_alerts) + (SELECT count(*) FROM up_transfer_notes) AS n`,
    );
    expect(rows[0]!.n).toBe(5);

    // The listing is still `upstream deliveries` with flags (the group's default command).
    const list = await run(['upstream', 'deliveries', '--data', data, '--db', database.url]);
    expect(list.code).toBe(0);
    expect(list.text).toContain('D-1  s1/t1  2 units');
  }, 60_000);

  it('names what is missing or wrong', async () => {
    const noDb = await run(['upstream', 'deliveries', 'import-local', '--data', data]);
    expect(noDb.code).toBe(2);
    expect(noDb.text).toContain('needs --data DIR and --db postgres://…');
    const noFile = await run([
      'upstream',
      'deliveries',
      'import-local',
      '--data',
      join(tmp.dir, 'none'),
      '--db',
      database.url,
    ]);
    expect(noFile.code).toBe(2);
    expect(noFile.text).toContain(`no ${join(tmp.dir, 'none', 'upstream.db')}`);
  });
});
