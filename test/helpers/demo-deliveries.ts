import type { RunningTerminal } from '../../terminal/main.js';
import type { DemoRegistry } from '../../terminal/registry/demo.js';
import { deliverInto } from './receive-into.js';
import { sscc } from './receiving-fixture.js';

/**
 * Two deliveries of the demo registry's packs into a running terminal, checked in as a clerk would:
 * ASN-1 from 华东医药 (a case holding the first and third genuine packs; the recalled pack put
 * aside; closed complete) and ASN-2 from Wholesaler Two, still open (the locked pack scanned, the
 * withdrawn one missing, an unknown code scanned as an extra). The second genuine pack (registry
 * status active) is on no note: `unreceived`. (The third is `received` in the demo registry, which
 * checkout also takes as received here.)
 */
export function stockDemoDeliveries(terminal: RunningTerminal, codes: DemoRegistry['codes']) {
  const byExpect = (kind: string) => codes.filter((c) => c.expect === kind).map((c) => c.scan);
  const [g0, g1, g2] = byExpect('genuine');
  const recalled = byExpect('recalled')[0]!;
  const t = { db: terminal.ledger.db, ledger: terminal.ledger };
  const closed = deliverInto(t, {
    deliveryId: 'ASN-1',
    supplier: { id: 'SUP-7', name: '华东医药' },
    cases: [{ sscc: sscc(1), units: [g0!, g2!] }],
    units: [recalled],
  });
  closed.scan(`00${sscc(1)}`);
  closed.putAside(recalled, 'recalled');
  closed.close({ outcome: 'complete' });
  const open = deliverInto(t, {
    deliveryId: 'ASN-2',
    supplier: { id: 'SUP-8', name: 'Wholesaler Two' },
    units: [byExpect('withdrawn')[0]!, byExpect('locked')[0]!],
  });
  open.scan(byExpect('locked')[0]!);
  open.scan(byExpect('unknown')[0]!);
  return { received: [g0!, g2!], unreceived: g1! };
}
