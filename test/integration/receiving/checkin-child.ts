// Child process for the receiving SIGKILL test: checks in pallets one SSCC scan at a time and
// sells a few units of each, reporting each durable step on stdout, until killed.
import { loadOrCreateTerminalKey } from '../../../terminal/identity/terminal-key.js';
import { salePayload } from '../../helpers/ledger-payloads.js';
import { cn20, ReceivingRig, sscc, upstreamKeys } from '../../helpers/receiving-fixture.js';

const [file, keyFile, pallets, perPallet] = process.argv.slice(2);
const rig = new ReceivingRig(file!, loadOrCreateTerminalKey(keyFile!), upstreamKeys());
const session = rig.session('D-KILL');
process.stdout.write('start\n');
const started = performance.now();
for (let p = 1; p <= Number(pallets); p++) {
  const answer = session.scan(`]C100${sscc(p)}`);
  process.stdout.write(`pallet ${p} ${answer.checkedIn}\n`);
  // Sell a few of its units: stock must stay received − sold whatever the kill interrupts.
  const first = (p - 1) * Number(perPallet);
  const keys = [0, 7, 13].map((i) => cn20(first + i));
  rig.ledger.transaction(() => {
    const sale = rig.ledger.append('sale', salePayload(keys));
    for (const [line, codeKey] of keys.entries())
      rig.ledger.append('write_off', { codeKey, saleId: sale.id, line });
  });
}
process.stdout.write(`done ${performance.now() - started}\n`);
rig.close();
