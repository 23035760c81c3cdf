import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SaleOutcome } from '../../../terminal/lanes/checkout-types.js';
import type { AlertPayload, SalePayload } from '../../../terminal/ledger/payloads.js';
import type { ReceivingMode } from '../../../terminal/receiving/options.js';
import { deliverInto } from '../../helpers/receive-into.js';
import { sscc } from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, NOT_COVERED, openTerminal, PRODUCT_ONLY } from './checkout-fixture.js';

/**
 * receiving.mode at checkout (issue 18, "Verdicts use it"), on real SQLite files with the real
 * verifier, ledger and receiving tables: one terminal per mode, stocked by a delivery checked in
 * as a clerk would (a case, a pallet, a loose unit; one unit left unscanned, one put aside).
 *
 * Stock of every terminal: code(1), code(2) in case sscc(1); code(3) loose; code(4) in a case on
 * pallet sscc(2); code(5) expected but never scanned; code(6) put aside as damaged. Every other
 * serial was never on a note here.
 */

type Terminal = ReturnType<typeof openTerminal>;
const temps: ReturnType<typeof makeTempDir>[] = [];

function stocked(mode: ReceivingMode): Terminal {
  const temp = makeTempDir();
  temps.push(temp);
  const t = openTerminal({ dir: temp.dir, receivingMode: mode });
  const session = deliverInto(t, {
    deliveryId: `D-${mode}`,
    supplier: { id: 'SUP-7', name: '华东医药' },
    cases: [{ sscc: sscc(1), units: [code(1), code(2)] }],
    pallets: [{ sscc: sscc(2), cases: [{ sscc: sscc(2001), units: [code(4)] }] }],
    units: [code(3), code(5), code(6)],
  });
  expect(session.scan(`00${sscc(1)}`).ok).toBe(true);
  expect(session.scan(`00${sscc(2)}`).checkedIn).toBe(1);
  expect(session.scan(code(3)).ok).toBe(true);
  expect(session.putAside(code(6), 'damaged').ok).toBe(true);
  session.close({ outcome: 'partial', reason: 'one unit short' });
  return t;
}

const sell = (t: Terminal, data: string[], override?: { by: string; reason: string }) =>
  t.checkout.completeSale({
    cashier: 'c1',
    lines: data.map((d) => (override ? { data: d, override } : { data: d })),
  });

function alertsOf(t: Terminal): AlertPayload[] {
  return t.ledger
    .records(0, 1000)
    .filter((r) => r.type === 'alert')
    .map((r) => r.payload as AlertPayload);
}

function sold(outcome: SaleOutcome) {
  if (!outcome.ok) throw new Error(`expected a sale, got ${JSON.stringify(outcome)}`);
  return outcome.sale;
}

afterAll(() => {
  for (const temp of temps) temp.cleanup();
});

describe('receiving.mode warn', () => {
  let t: Terminal;
  beforeAll(() => {
    t = stocked('warn');
  });
  afterAll(() => t.close());

  it('sells units received in a case, on a pallet and loose without a flag or an alert', () => {
    const before = alertsOf(t).length;
    const sale = sold(sell(t, [code(1), code(3), code(4)]));
    expect(sale.lines.map((l) => l.flag)).toEqual([undefined, undefined, undefined]);
    expect(alertsOf(t)).toHaveLength(before);
  });

  it('sells a unit never received with a not_received note and files one diversion alert naming the sale', () => {
    const sale = sold(sell(t, [code(2), code(700)]));
    expect(sale.lines.map((l) => l.flag)).toEqual([undefined, 'not_received']);
    const stored = t.ledger.record(sale.saleId)!.payload as SalePayload;
    expect(stored.lines[1]).toMatchObject({ flag: 'not_received', verdict: 'genuine' });
    const diversion = alertsOf(t).filter((a) => a.kind === 'diversion');
    expect(diversion).toEqual([
      expect.objectContaining({
        kind: 'diversion',
        codeKey: code(700),
        verdict: 'genuine',
        reason: 'not_received',
        note: expect.stringContaining(`sale ${sale.saleId}`),
        attempt: expect.objectContaining({ cashier: 'c1', storeId: 'store-a' }),
      }),
    ]);
    expect(diversion[0]!.note).toContain('receiving.mode warn');
  });

  it('names why receiving does not count it: a unit still expected, a unit put aside', () => {
    sold(sell(t, [code(5)]));
    sold(sell(t, [code(6)]));
    expect(
      alertsOf(t)
        .slice(-2)
        .map((a) => [a.codeKey, a.reason]),
    ).toEqual([
      [code(5), 'expected'],
      [code(6), 'put_aside'],
    ]);
  });

  it('a received unit sold and returned counts as received again; an unreceived one is flagged again', () => {
    sold(sell(t, [code(701)]));
    const returned = t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: code(701) }] });
    expect(returned.ok).toBe(true);
    const again = sold(sell(t, [code(701)]));
    expect(again.lines[0]!.flag).toBe('not_received');
    // code(1) was sold in the first test: return it and sell it again, unflagged.
    expect(t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: code(1) }] }).ok).toBe(true);
    const before = alertsOf(t).length;
    expect(sold(sell(t, [code(1)])).lines[0]!.flag).toBeUndefined();
    expect(alertsOf(t)).toHaveLength(before);
  });

  it('never flags a product-only code (no unit key) or a refused line', () => {
    const before = alertsOf(t).length;
    const sale = sold(sell(t, [PRODUCT_ONLY], { by: 'm1', reason: 'EAN only' }));
    expect(sale.lines[0]).toMatchObject({ productOnly: true });
    expect(sale.lines[0]!.flag).toBeUndefined();
    // A recalled unit is refused for its verdict: no diversion flag on top.
    const refused = sell(t, [code(800000001)]);
    expect(refused).toMatchObject({
      ok: false,
      refused: [{ reason: expect.not.stringContaining('not_received') }],
    });
    expect(
      alertsOf(t)
        .slice(before)
        .map((a) => a.kind),
    ).not.toContain('diversion');
  });

  it('files the diversion even when another line refuses the basket (nothing written off)', () => {
    const outcome = sell(t, [code(702), code(800000001)]);
    if (outcome.ok || outcome.code !== 'lines_refused') throw new Error(JSON.stringify(outcome));
    expect(outcome.refused.map((r) => r.line)).toEqual([1]);
    const alerts = outcome.alertIds.map((id) => t.ledger.record(id)!.payload as AlertPayload);
    expect(alerts).toEqual([
      expect.objectContaining({
        kind: 'diversion',
        codeKey: code(702),
        note: expect.stringContaining('not sold'),
      }),
    ]);
    expect(t.ledger.writeOffOf(code(702))).toBeUndefined();
  });

  it('check answers the flag before the sale, and a received unit with its supplier and day', () => {
    expect(t.checkout.checkLine(code(703))).toMatchObject({
      decision: 'sellable',
      sellable: true,
      flag: 'not_received',
      message: expect.stringContaining('not received by this store'),
    });
    const received = t.checkout.checkLine(code(2));
    expect(received.flag).toBeUndefined();
    expect(received).toMatchObject({ received: { supplier: '华东医药', at: expect.any(String) } });
  });
});

describe('receiving.mode enforce', () => {
  let t: Terminal;
  beforeAll(() => {
    t = stocked('enforce');
  });
  afterAll(() => t.close());

  it('refuses a unit never received without an override, overridable, and files the diversion', () => {
    const outcome = sell(t, [code(700)]);
    if (outcome.ok || outcome.code !== 'lines_refused') throw new Error(JSON.stringify(outcome));
    expect(outcome.refused).toEqual([
      expect.objectContaining({ line: 0, verdict: 'genuine', reason: 'not_received', overridable: true }),
    ]);
    expect(outcome.alertIds).toHaveLength(1);
    expect(t.ledger.record(outcome.alertIds[0]!)!.payload).toMatchObject({
      kind: 'diversion',
      codeKey: code(700),
      reason: 'not_received',
      note: expect.stringContaining('refused'),
    });
    expect(t.ledger.writeOffOf(code(700))).toBeUndefined();
    expect(t.checkout.checkLine(code(700))).toMatchObject({
      decision: 'overridable',
      reason: 'not_received',
      flag: 'not_received',
    });
  });

  it("sells it on a manager's approval, recorded on the line, and files the diversion again", () => {
    const sale = sold(sell(t, [code(700)], { by: 'm1', reason: 'supplier invoice on file' }));
    expect(sale.lines[0]).toMatchObject({
      flag: 'not_received',
      override: { by: 'm1', reason: 'supplier invoice on file' },
    });
    expect(alertsOf(t).at(-1)).toMatchObject({
      kind: 'diversion',
      codeKey: code(700),
      note: expect.stringContaining("sold on m1's approval"),
    });
  });

  it('sells received units without an approval, and records none when one is given', () => {
    expect(sold(sell(t, [code(1), code(4)])).lines.map((l) => l.flag)).toEqual([undefined, undefined]);
    const sale = sold(sell(t, [code(3)], { by: 'm1', reason: 'not needed' }));
    expect(sale.lines[0]!.override).toBeUndefined();
  });

  it('one approval covers an unverifiable unit that is also not received', () => {
    const data = code(5, NOT_COVERED);
    expect(sell(t, [data])).toMatchObject({
      ok: false,
      refused: [{ verdict: 'unverifiable', overridable: true }],
    });
    const sale = sold(sell(t, [data], { by: 'm1', reason: 'checked by hand' }));
    expect(sale.lines[0]).toMatchObject({
      verdict: 'unverifiable',
      flag: 'not_received',
      override: { by: 'm1' },
    });
  });
});

describe('receiving.mode off', () => {
  it('sells as before: no lookup (no received info even for a received unit), no flag, no alert', () => {
    const t = stocked('off');
    try {
      expect(t.checkout.checkLine(code(2)).received).toBeUndefined();
      expect(t.checkout.check(code(2)).received).toBeUndefined();
      const sale = sold(sell(t, [code(700), code(2)]));
      expect(sale.lines.map((l) => l.flag)).toEqual([undefined, undefined]);
      expect(alertsOf(t)).toEqual([]);
    } finally {
      t.close();
    }
  });
});
