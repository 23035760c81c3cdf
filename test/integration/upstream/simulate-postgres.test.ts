import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../../cli/upstream/simulate/run-simulation.js';
import { createTestDatabase, hasPostgres } from '../../helpers/postgres.js';
import { hasSystemTool } from '../../helpers/system-tools.js';

// The fleet simulator on PostgreSQL with two upstream worker processes sharing the ingest
// subscriptions (one publishes registry deltas), small size, end to end: nothing lost or stored
// twice, every cross-store clone alerted once in the feed (read over HTTP from PostgreSQL) and
// seen as already_sold by the other store's kiosk. Figures are printed, never asserted.
const ready = hasSystemTool('mosquitto') && (await hasPostgres());

describe.skipIf(!ready)('veriterm upstream simulate --db --workers 2 (small)', () => {
  it('two PostgreSQL workers: loses nothing, stores nothing twice, alerts every clone', async () => {
    const database = await createTestDatabase('vt_sim');
    try {
      const report = await runSimulation({
        terminals: 20,
        stores: 5,
        salesPerSecond: 10,
        durationS: 10,
        processes: 2,
        dropShare: 0.2,
        clones: 2,
        database: database.url,
        workers: 2,
        progress: (line) => console.log(line),
      });
      console.log(JSON.stringify(report));
      expect(report).toMatchObject({ engine: 'postgres', workers: 2 });
      // Both workers took a share of the fleet's batches (the shared subscription spread them).
      expect(report.recordsPerWorker.every((n) => n > 0)).toBe(true);
      expect(report.sales).toBeGreaterThan(0);
      expect(report.lost).toBe(0);
      expect(report.unacknowledged).toBe(0);
      expect(report.duplicated).toBe(0);
      expect(report.outOfOrder).toBe(false);
      expect(report.clonesAlerted).toBe(2);
      expect(report.alreadySoldMs.count).toBe(2);
      expect(report.dbBytesPerRecord).toBeGreaterThan(0);
      // The database's own backends were found and measured (they did work for the fleet).
      expect(report.cpu.database).toBeGreaterThan(0);
      // A second run on the same (now used) database is refused before anything starts.
      await expect(
        runSimulation({ terminals: 2, stores: 1, salesPerSecond: 1, durationS: 1, database: database.url }),
      ).rejects.toThrow(/already holds upstream records/);
    } finally {
      await database.drop();
    }
  }, 300_000);
});
