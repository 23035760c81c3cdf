import type { PrintQueue } from '../printing/print-queue.js';
import type { ReceiptSink } from './checkout-types.js';

/**
 * Sends checkout receipts through the durable print queue (terminal/printing), keyed by sale id so a
 * second enqueue of the same receipt returns the first job, and reports each printed receipt back
 * (checkout records a `receipt_printed` record).
 */
export function printQueueReceipts(
  queue: Pick<PrintQueue, 'printReceipt' | 'on'>,
  onPrinted?: (saleId: string, jobId: string) => void,
): ReceiptSink {
  if (onPrinted) {
    queue.on('job', (job) => {
      if (job.state === 'done' && job.kind === 'receipt' && job.ref?.startsWith('sale:'))
        onPrinted(job.ref.slice(5), job.id);
    });
  }
  return {
    enqueue: (document, meta) =>
      queue.printReceipt(document, { kind: 'receipt', ref: `${meta.kind}:${meta.saleId}` }),
  };
}
