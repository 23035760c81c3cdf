/**
 * A terminal process for the kill test: opens the ledger in `dataDir` and drains it upstream until
 * it is killed. Args: dataDir brokerUrl storeId terminalId; private key PEM in env VT_TERMINAL_KEY.
 */
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import { silentLogger } from '../../../terminal/logger.js';
import { createSync } from '../../../terminal/sync/create-sync.js';

const [dataDir, brokerUrl, storeId, terminalId] = process.argv.slice(2) as [string, string, string, string];
const db = openDatabase(join(dataDir, 'terminal.db'));
const identity = identityFromPrivateKey(createPrivateKey(process.env.VT_TERMINAL_KEY ?? ''));
const ledger = new Ledger({ db, identity, storeId, terminalId });
const sync = createSync(
  { outbox: ledger, db, logger: silentLogger(), stagingDir: join(dataDir, 'staging') },
  {
    brokerUrl,
    storeId,
    terminalId,
    reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    drain: { maxBatchRecords: 50, maxInFlightBatches: 2, pollIntervalMs: 50, ackTimeoutMs: 1000 },
  },
);
sync.events.on('acked', (seq) => process.stdout.write(`acked ${seq}\n`));
await sync.start();
