import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import type { LedgerRecord } from '../../../terminal/ledger/types.js';
import { IngestStore } from '../../../upstream/ingest-store.js';
import { salePayload } from '../../helpers/ledger-payloads.js';

/** A terminal with a real ledger (in memory) and its enrolled key, selling and returning units. */
export interface TestTerminal {
  storeId: string;
  terminalId: string;
  ledger: Ledger;
  publicKeyPem: string;
  /** Sells `codes` in one sale: the sale record and one write-off per code, in one transaction. */
  sell(codes: readonly string[]): LedgerRecord[];
  /** Takes back this terminal's write-off `writeOff` (a manager-approved return). */
  giveBack(writeOff: LedgerRecord): LedgerRecord;
  /** Appends an alert record (a kiosk's suspicious-pack report, a diversion, …). */
  alert(payload: Record<string, unknown>): LedgerRecord;
  /** Records not yet taken by `drain`, in order. */
  drain(): LedgerRecord[];
}

export function testTerminal(storeId: string, terminalId: string): TestTerminal {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const ledger = new Ledger({
    db: new Database(':memory:'),
    identity: identityFromPrivateKey(privateKey),
    storeId,
    terminalId,
  });
  let drained = 0;
  return {
    storeId,
    terminalId,
    ledger,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sell(codes) {
      return ledger.transaction(() => {
        const sale = ledger.append('sale', salePayload(codes));
        return [
          sale,
          ...codes.map((codeKey, line) => ledger.append('write_off', { codeKey, saleId: sale.id, line })),
        ];
      });
    },
    giveBack(writeOff) {
      const p = writeOff.payload as { codeKey: string; saleId: string };
      return ledger.append('return', {
        approvedBy: 'manager-1',
        lines: [{ codeKey: p.codeKey, saleId: p.saleId, writeOffId: writeOff.id, writeOffSeq: writeOff.seq }],
      });
    },
    alert(payload) {
      return ledger.append('alert', payload);
    },
    drain() {
      const out = ledger.pending(drained, 100_000);
      drained = out.at(-1)?.seq ?? drained;
      return out;
    },
  };
}

/** An upstream store on a SQLite file in `dir` with `terminals` enrolled. */
export function upstreamStore(
  dir: string,
  name: string,
  terminals: readonly TestTerminal[],
  signatureCheck: 'batch-tip' | 'every' = 'batch-tip',
): IngestStore {
  const store = new IngestStore(openDatabase(join(dir, `${name}.db`)), { signatureCheck });
  for (const t of terminals) store.enrol(t.storeId, t.terminalId, t.publicKeyPem);
  return store;
}
