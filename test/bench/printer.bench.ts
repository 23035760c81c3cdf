import { connect } from 'node:net';
import { join } from 'node:path';
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import { FakeNetworkPrinter } from '../../drivers/printer/fake-network-printer.js';
import { NetworkPrinter } from '../../drivers/printer/network-printer.js';
import { openDatabase } from '../../terminal/db/open-database.js';
import { silentLogger } from '../../terminal/logger.js';
import { PrintQueue } from '../../terminal/printing/print-queue.js';
import type { ReceiptDocument } from '../../terminal/receipts/document.js';
import { getProfile } from '../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../terminal/receipts/render-escpos.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { mean, nowMs, percentile, report, scaled } from './lib.js';

const QR = 'https://id.example.com/01/09506000134352/21/ABC123?17=261231';

/** A 40-line checkout receipt with a QR code: header, 34 item rows, total, footer. */
function fortyLines(): ReceiptDocument {
  const blocks: ReceiptDocument['blocks'] = [
    { type: 'text', text: 'VERITERM MARKET', bold: true, width: 2, height: 2, align: 'center' },
    { type: 'text', text: 'Lane 2 · 2026-11-28 09:41', align: 'center' },
    { type: 'rule' },
  ];
  for (let i = 0; i < 34; i++) {
    blocks.push({
      type: 'columns',
      columns: [
        { text: `Item ${i + 1} whole milk 1L` },
        { text: '1', width: 3, align: 'right' },
        { text: '12.50', width: 8, align: 'right' },
      ],
    });
  }
  blocks.push(
    { type: 'rule' },
    {
      type: 'columns',
      bold: true,
      columns: [{ text: 'TOTAL' }, { text: '425.00', width: 10, align: 'right' }],
    },
  );
  blocks.push({ type: 'qr', data: QR }, { type: 'cut' });
  return { blocks };
}

function timeIt(iterations: number, fn: () => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = nowMs();
    fn();
    times.push(nowMs() - t0);
  }
  return times;
}

async function encodeBench(): Promise<void> {
  const doc = fortyLines();
  const profile = getProfile('epson-tm-t88');
  const n = scaled(2000);
  timeIt(200, () => renderReceipt(doc, profile)); // warm-up (JIT)
  const ours = timeIt(n, () => renderReceipt(doc, profile));
  report('printer', 'encode_40_lines_qr_mean', mean(ours), 'ms');
  report('printer', 'encode_40_lines_qr_p99', percentile(ours, 99), 'ms');
  // The same receipt in Chinese on a printer without a Chinese font: every line is a raster image.
  const chinese: ReceiptDocument = {
    blocks: doc.blocks.map((b) =>
      b.type === 'columns'
        ? { ...b, columns: b.columns.map((c, i) => (i === 0 ? { ...c, text: `牛奶 ${c.text}` } : c)) }
        : b,
    ),
  };
  timeIt(20, () => renderReceipt(chinese, profile));
  const raster = timeIt(scaled(100), () => renderReceipt(chinese, profile));
  report('printer', 'encode_40_lines_chinese_as_raster_mean', mean(raster), 'ms');
  report(
    'printer',
    'encode_40_lines_chinese_gb18030_mean',
    mean(timeIt(scaled(500), () => renderReceipt(chinese, getProfile('xprinter-80')))),
    'ms',
  );
  // Baseline: the same receipt through @point-of-sale/receipt-printer-encoder's own text path.
  const library = () => {
    const e = new ReceiptPrinterEncoder({ printerModel: 'epson-tm-t88vi', newline: '\n' });
    e.initialize().bold(true).size(2, 2).align('center').line('VERITERM MARKET').bold(false).size(1, 1);
    e.line('Lane 2 - 2026-11-28 09:41').align('left').rule();
    for (let i = 0; i < 34; i++) e.line(`${`Item ${i + 1} whole milk 1L`.padEnd(35)}  1   12.50`);
    e.rule()
      .bold(true)
      .line(`${'TOTAL'.padEnd(32)}    425.00`)
      .bold(false)
      .qrcode(QR)
      .cut();
    e.encode();
  };
  timeIt(100, library);
  const baseline = timeIt(scaled(500), library);
  report('printer', 'encode_baseline_library_text_mean', mean(baseline), 'ms');
  report('printer', 'encode_speedup_vs_library', mean(baseline) / mean(ours), 'x');
}

async function queueBench(): Promise<void> {
  const temp = makeTempDir('veriterm-bench-');
  const fake = new FakeNetworkPrinter();
  await fake.start();
  const db = openDatabase(join(temp.dir, 'bench.db'));
  const printer = new NetworkPrinter('bench', { host: '127.0.0.1', port: fake.port, pollIntervalMs: 60_000 });
  const queue = new PrintQueue({ db, printer, profile: getProfile('epson-tm-t88'), logger: silentLogger() });
  await queue.start();
  const bytes = renderReceipt(fortyLines(), getProfile('epson-tm-t88'));
  const n = scaled(200);
  const queued: number[] = [];
  const printedAt: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const t0 = nowMs();
    const printed = fake.waitForReceipts(1, { from: fake.receipts.length });
    const job = queue.enqueue(bytes);
    await printed;
    const t1 = nowMs();
    await queue.settled(job.id);
    const t2 = nowMs();
    if (i >= 10) {
      printedAt.push(t1 - t0);
      queued.push(t2 - t0);
    }
  }
  report('printer', 'queue_to_acknowledged_p50', percentile(queued, 50), 'ms');
  report('printer', 'queue_to_acknowledged_p99', percentile(queued, 99), 'ms');
  report('printer', 'queue_to_printed_p50', percentile(printedAt, 50), 'ms');
  // What the queue's two durable commits per job cost on this disk (synchronous=FULL, WAL).
  db.exec('CREATE TABLE IF NOT EXISTS bench_commit (n INTEGER)');
  const insert = db.prepare('INSERT INTO bench_commit (n) VALUES (?)');
  const commits = timeIt(scaled(200), () => insert.run(1));
  report('printer', 'baseline_sqlite_commit_full_p50', percentile(commits, 50), 'ms');
  await queue.stop();
  db.close();

  // Baseline: a raw socket writes the same bytes, then one DLE EOT round trip confirms them.
  const socket = connect({ host: '127.0.0.1', port: fake.port });
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  const raw: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const t0 = nowMs();
    const printed = fake.waitForReceipts(1, { from: fake.receipts.length });
    const answered = new Promise((resolve) => socket.once('data', resolve));
    socket.write(bytes);
    socket.write(Uint8Array.of(0x10, 0x04, 0x01));
    await Promise.all([printed, answered]);
    if (i >= 10) raw.push(nowMs() - t0);
  }
  report('printer', 'raw_socket_write_plus_dle_eot_p50', percentile(raw, 50), 'ms');
  report('printer', 'raw_socket_write_plus_dle_eot_p99', percentile(raw, 99), 'ms');
  socket.destroy();
  await fake.stop();
  temp.cleanup();
}

export async function run(): Promise<void> {
  await encodeBench();
  await queueBench();
}
