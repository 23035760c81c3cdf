import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeNetworkPrinter } from '../../../drivers/printer/fake-network-printer.js';
import { NetworkPrinter } from '../../../drivers/printer/network-printer.js';
import type { PrinterStatus } from '../../../drivers/printer/types.js';
import { openDatabase, type SqliteDatabase } from '../../../terminal/db/open-database.js';
import type { HealthItem } from '../../../terminal/health/types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { PrintQueue } from '../../../terminal/printing/print-queue.js';
import type { ReceiptDocument } from '../../../terminal/receipts/document.js';
import { getProfile } from '../../../terminal/receipts/profiles.js';
import { freePort } from '../../helpers/free-port.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const receipt = (n: number): ReceiptDocument => ({
  blocks: [{ type: 'text', text: `Receipt ${n} 正品` }, { type: 'qr', data: `sale-${n}` }, { type: 'cut' }],
});

function waitForStatus(queue: PrintQueue, predicate: (s: PrinterStatus) => boolean): Promise<PrinterStatus> {
  if (queue.status && predicate(queue.status)) return Promise.resolve(queue.status);
  return new Promise((resolve) => {
    const on = (s: PrinterStatus) => {
      if (!predicate(s)) return;
      queue.off('status', on);
      resolve(s);
    };
    queue.on('status', on);
  });
}

describe('PrintQueue over a loopback network printer', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  function database(dir?: string): { db: SqliteDatabase; dir: string } {
    let path = dir;
    if (!path) {
      const temp = makeTempDir();
      cleanups.push(temp.cleanup);
      path = temp.dir;
    }
    const db = openDatabase(join(path, 'terminal.db'));
    cleanups.push(() => {
      db.close();
    });
    return { db, dir: path };
  }

  function queueFor(db: SqliteDatabase, port: number, health?: Map<string, HealthItem>) {
    const printer = new NetworkPrinter('receipt', {
      host: '127.0.0.1',
      port,
      pollIntervalMs: 40,
      connectTimeoutMs: 500,
    });
    const queue = new PrintQueue(
      {
        db,
        printer,
        profile: getProfile('xprinter-80'),
        logger: silentLogger(),
        ...(health ? { health: { report: (c: string, item: HealthItem) => health.set(c, item) } } : {}),
      },
      { retryDelayMs: 50 },
    );
    cleanups.push(() => queue.stop());
    return queue;
  }

  async function fakePrinter(port = 0) {
    const fake = new FakeNetworkPrinter({ port });
    await fake.start();
    cleanups.push(() => fake.stop());
    return fake;
  }

  it('prints queued receipts in order, each once, and reprints the last one', async () => {
    const fake = await fakePrinter();
    const { db } = database();
    const queue = queueFor(db, fake.port);
    await queue.start();
    const jobs = [1, 2, 3].map((n) => queue.printReceipt(receipt(n), { ref: `sale-${n}` }));
    // Same ref again: the same job, not a second receipt.
    expect(queue.printReceipt(receipt(1), { ref: 'sale-1' }).id).toBe(jobs[0]!.id);
    for (const job of jobs) expect((await queue.settled(job.id)).state).toBe('done');
    expect(fake.receipts.map((r) => r.lines[0])).toEqual([
      'Receipt 1 正品',
      'Receipt 2 正品',
      'Receipt 3 正品',
    ]);
    // One owner per printer: a second queue on the same printer is refused.
    const rival = new PrintQueue({
      db,
      printer: queue.printer,
      profile: getProfile('generic'),
      logger: silentLogger(),
    });
    await expect(rival.start()).rejects.toMatchObject({ code: 'printer_already_owned' });
    const again = queue.reprintLast();
    expect(again.kind).toBe('reprint');
    await queue.settled(again.id);
    expect(fake.receipts.map((r) => r.qrCodes[0])).toEqual(['sale-1', 'sale-2', 'sale-3', 'sale-3']);
    expect(queue.document(again.id)).toEqual(receipt(3));
    const png = await queue.preview(again.id);
    expect(png!.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(queue.recent(2).map((j) => j.id)).toEqual([again.id, jobs[2]!.id]);
  });

  it('paper out mid-queue: jobs wait, health shows it, printing resumes when paper is back, nothing lost or doubled', async () => {
    const fake = await fakePrinter();
    const health = new Map<string, HealthItem>();
    const queue = queueFor(database().db, fake.port, health);
    // The roll runs out right as the first receipt is cut.
    fake.device.once('receipt', () => fake.setState({ paperOut: true }));
    await queue.start();
    const jobs = [1, 2, 3].map((n) => queue.printReceipt(receipt(n)));
    await waitForStatus(queue, (s) => s.paperOut);
    expect(health.get('printer:receipt')).toMatchObject({ level: 'fail', reason: 'Paper out' });
    expect(fake.receipts).toHaveLength(1);
    expect(queue.job(jobs[1]!.id)!.state).toBe('pending');
    expect(queue.job(jobs[2]!.id)!.state).toBe('pending');
    fake.setState({ paperOut: false });
    for (const job of jobs) expect((await queue.settled(job.id)).state).toBe('done');
    expect(fake.receipts.map((r) => r.qrCodes[0])).toEqual(['sale-1', 'sale-2', 'sale-3']);
    await waitForStatus(queue, (s) => !s.paperOut);
    expect(health.get('printer:receipt')).toMatchObject({ level: 'ok' });
  });

  it('paper out while a job is being received: the printer holds it and the job is not sent again', async () => {
    const fake = await fakePrinter();
    const queue = queueFor(database().db, fake.port);
    await queue.start();
    // Paper runs out as soon as the job's first bytes arrive: they wait inside the printer.
    const onData = (bytes: Uint8Array) => {
      if (bytes[0] !== 0x1b) return; // ESC @ starts a job; DLE EOT polls are not it
      fake.device.off('data', onData);
      fake.setState({ paperOut: true });
    };
    fake.device.on('data', onData);
    const job = queue.printReceipt(receipt(7));
    await expect.poll(() => queue.job(job.id)!.state, { timeout: 5000 }).toBe('sent');
    expect(queue.status).toMatchObject({ paperOut: true });
    expect(fake.receipts).toHaveLength(0);
    fake.setState({ paperOut: false });
    expect((await queue.settled(job.id)).state).toBe('done');
    expect(fake.receipts.map((r) => r.qrCodes[0])).toEqual(['sale-7']);
  });

  it('starts with the printer unreachable, keeps jobs, and prints them when it appears', async () => {
    const port = await freePort();
    const health = new Map<string, HealthItem>();
    const queue = queueFor(database().db, port, health);
    await queue.start();
    const job = queue.printReceipt(receipt(1));
    await waitForStatus(queue, (s) => !s.online);
    expect(health.get('printer:receipt')).toMatchObject({ level: 'fail', details: { waitingJobs: 1 } });
    expect(queue.job(job.id)!.state).toBe('pending');
    const cancelled = queue.printReceipt(receipt(2));
    expect(queue.cancel(cancelled.id, 'Customer left')).toMatchObject({
      state: 'failed',
      reason: 'Customer left',
    });
    const fake = await fakePrinter(port);
    expect((await queue.settled(job.id)).state).toBe('done');
    expect(fake.receipts).toHaveLength(1);
    expect(() => queue.cancel(job.id)).toThrow(/is done; only pending jobs can be cancelled/);
  });

  it('keeps pending jobs across a restart and prints each once; acknowledged jobs are not sent again', async () => {
    const port = await freePort();
    const first = database();
    const queue1 = queueFor(first.db, port);
    await queue1.start();
    const jobs = [1, 2].map((n) => queue1.printReceipt(receipt(n)));
    await queue1.stop();
    first.db.close();

    const fake = await fakePrinter(port);
    const { db } = database(first.dir);
    const queue2 = queueFor(db, port);
    await queue2.start();
    for (const job of jobs) expect((await queue2.settled(job.id)).state).toBe('done');
    expect(fake.receipts.map((r) => r.qrCodes[0])).toEqual(['sale-1', 'sale-2']);
    await queue2.stop();

    const queue3 = queueFor(db, port);
    await queue3.start();
    const marker = queue3.printReceipt(receipt(3));
    await queue3.settled(marker.id);
    expect(fake.receipts.map((r) => r.qrCodes[0])).toEqual(['sale-1', 'sale-2', 'sale-3']);
  });

  it('after the link drops, reconnects and prints the next jobs once each', async () => {
    const fake = await fakePrinter();
    const queue = queueFor(database().db, fake.port);
    await queue.start();
    await queue.settled(queue.printReceipt(receipt(1)).id);
    fake.dropConnections();
    await waitForStatus(queue, (s) => !s.online);
    const jobs = [2, 3].map((n) => queue.printReceipt(receipt(n)));
    for (const job of jobs) expect((await queue.settled(job.id)).state).toBe('done');
    expect(fake.receipts.map((r) => r.qrCodes[0])).toEqual(['sale-1', 'sale-2', 'sale-3']);
  });

  it('retries after the link drops and fails a job with a reason after maxAttempts', async () => {
    const fake = await fakePrinter();
    const { db } = database();
    const printer = new NetworkPrinter('receipt', { host: '127.0.0.1', port: fake.port, pollIntervalMs: 40 });
    // A printer whose writes always fail (the cable is cut the moment bytes arrive).
    printer.write = async () => {
      throw new Error('cable cut');
    };
    const queue = new PrintQueue(
      { db, printer, profile: getProfile('generic'), logger: silentLogger() },
      { retryDelayMs: 10, maxAttempts: 3 },
    );
    cleanups.push(() => queue.stop());
    await queue.start();
    const job = queue.enqueue(Uint8Array.of(0x1b, 0x40));
    const settled = await queue.settled(job.id);
    expect(settled).toMatchObject({ state: 'failed', attempts: 3 });
    expect(settled.reason).toMatch(/Gave up after 3 attempts: cable cut/);
  });

  it('a full disk while queueing a receipt in the background latches storage health (disk_full) and keeps what is queued', async () => {
    const { db } = database();
    const faults: { code: string; message: string }[] = [];
    const printer = new NetworkPrinter('receipt', {
      host: '127.0.0.1',
      port: await freePort(), // nothing listens: jobs wait, so only the queue's own writes run
      pollIntervalMs: 40,
      connectTimeoutMs: 200,
    });
    const queue = new PrintQueue({
      db,
      printer,
      profile: getProfile('xprinter-80'),
      logger: silentLogger(),
      dbFile: '/data/terminal.db',
      onDiskFull: (fault) => faults.push({ code: fault.code, message: fault.message }),
    });
    cleanups.push(() => queue.stop());
    const first = queue.printReceipt(receipt(1));
    // SQLite's own limit makes the file unable to grow: a real SQLITE_FULL on the next insert.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    let refused: unknown;
    for (let n = 2; n < 200 && refused === undefined; n++) {
      try {
        queue.printReceipt(receipt(n));
      } catch (error) {
        refused = error;
      }
    }
    expect(refused).toMatchObject({ code: 'disk_full' });
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ code: 'disk_full' });
    expect(faults[0]!.message).toContain('/data/terminal.db');
    // The job queued before is intact and still waits for the printer.
    expect(queue.job(first.id)).toMatchObject({ state: 'pending' });
  });
});
