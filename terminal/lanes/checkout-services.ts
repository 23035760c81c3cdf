import { productKeyOf } from '../codes/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../logger.js';
import type { PrintQueue } from '../printing/print-queue.js';
import type { ReceivingMode } from '../receiving/options.js';
import type { ReceivedUnits } from '../receiving/unit-receipt.js';
import { CheckoutService } from './checkout.js';
import { SaleBatcher } from './checkout-batcher.js';
import { printQueueReceipts } from './checkout-printing.js';
import type {
  CheckoutConfig,
  CheckoutDeps,
  CheckoutReceiving,
  LineVerifier,
  ReceiptSink,
} from './checkout-types.js';
import { ReturnsService } from './returns.js';

// Builds checkout's two services for the composition root (terminal/main.ts); route files take the
// instances (terminal/http/routes/returns.ts `checkoutHttpPlugins`) and build nothing themselves.

export interface CheckoutServiceOptions {
  /** With a print queue, receipts go through it and each printed receipt is recorded (`receipt_printed`). */
  printQueue?: Pick<PrintQueue, 'printReceipt' | 'on'>;
  receipts?: ReceiptSink;
  returnWindowDays?: number;
  storeName?: string;
}

/** The checkout and returns services over the core's ledger and verifier (terminal/main.ts passes them to checkoutHttpPlugins). */
export function checkoutServices(
  core: {
    ledger: Ledger;
    verifier: LineVerifier;
    logger: Logger;
    config: { terminal: { timeZone?: string | undefined }; receiving?: { mode: ReceivingMode } };
    /** The verifier's receiving lookup (built when `receiving.mode` is not off). */
    receivedUnits?: ReceivedUnits;
  },
  options: CheckoutServiceOptions = {},
): { checkout: CheckoutService; returns: ReturnsService; sales: SaleBatcher } {
  const config: CheckoutConfig = {
    ...(core.config.terminal.timeZone ? { timeZone: core.config.terminal.timeZone } : {}),
    ...(options.returnWindowDays !== undefined ? { returnWindowDays: options.returnWindowDays } : {}),
    ...(options.storeName ? { storeName: options.storeName } : {}),
  };
  let checkout: CheckoutService | undefined;
  const receipts = options.printQueue
    ? printQueueReceipts(options.printQueue, (saleId, jobId) => checkout?.markReceiptPrinted(saleId, jobId))
    : options.receipts;
  const receiving = checkoutReceiving(core.config.receiving?.mode ?? 'off', core.receivedUnits);
  const deps: CheckoutDeps = {
    ledger: core.ledger,
    verifier: core.verifier,
    receiving,
    logger: core.logger,
    config,
    ...(receipts ? { receipts } : {}),
  };
  checkout = new CheckoutService(deps);
  // Concurrent sales share one durable commit (group commit).
  return { checkout, returns: new ReturnsService(deps), sales: new SaleBatcher(checkout) };
}

/** Checkout's view of receiving: the mode, and why a flagged unit is not stock (for its alert). */
export function checkoutReceiving(mode: ReceivingMode, units?: ReceivedUnits): CheckoutReceiving {
  return {
    mode,
    ...(units ? { stateOf: (code) => units.stateOf(code.key, productKeyOf(code) ?? '') } : {}),
  };
}
