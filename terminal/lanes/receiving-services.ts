import { TokenBucket } from '../http/scan-limiter.js';
import type { Ledger } from '../ledger/ledger.js';
import { ReceivingStore } from '../receiving/receiving-store.js';
import type { RegistryReader } from '../registry/types.js';
import { ReceivingDesk } from './receiving-desk.js';
import type { ReceivingUpdate } from './receiving-wire.js';

// Builds receiving's services for the composition root (terminal/main.ts); the route file
// (terminal/http/routes/receiving.ts) takes the instances and builds nothing itself.

export interface ReceivingServices {
  /** Receiving's SQL on the ledger's connection: a close appends its receipt in the same transaction. */
  store: ReceivingStore;
  desk: ReceivingDesk;
  /** Scans, opens, put-asides and closes from every client together (each is a durable commit). */
  writes: Pick<TokenBucket, 'take' | 'waitMs'>;
}

/**
 * Receiving over the core's ledger and registry. `writes` bounds how fast clients together may
 * commit receiving changes: a handheld scans a few codes a second, so the default (20 a second,
 * bursts of 40) never refuses a clerk and keeps a flooding client from queueing fsyncs ahead of
 * the checkout's.
 */
export function receivingServices(
  core: {
    ledger: Ledger;
    registry: RegistryReader;
    config: { terminal: { timeZone?: string | undefined } };
  },
  options: {
    publish?: (update: ReceivingUpdate) => void;
    /** @default 20 */
    writesPerSecond?: number;
    /** @default 40 */
    writeBurst?: number;
  } = {},
): ReceivingServices {
  const store = new ReceivingStore(core.ledger.db);
  const desk = new ReceivingDesk({
    store,
    ledger: core.ledger,
    registry: core.registry,
    ...(core.config.terminal.timeZone ? { timeZone: core.config.terminal.timeZone } : {}),
    ...(options.publish ? { publish: options.publish } : {}),
  });
  const writes = new TokenBucket({
    perSecond: options.writesPerSecond ?? 20,
    burst: options.writeBurst ?? 40,
  });
  return { store, desk, writes };
}
