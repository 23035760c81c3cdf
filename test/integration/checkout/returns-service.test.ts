import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../../terminal/ledger/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal } from './checkout-fixture.js';

const DAY = 86_400_000;
let temp: ReturnType<typeof makeTempDir>;
let t: ReturnType<typeof openTerminal>;
let now: number;

beforeEach(() => {
  temp = makeTempDir();
  now = Date.now();
  t = openTerminal({ dir: temp.dir, clock: () => new Date(now) });
});
afterEach(() => {
  t.close();
  temp.cleanup();
});

function sell(...codes: string[]) {
  const outcome = t.checkout.completeSale({ lines: codes.map((data) => ({ data })) });
  if (!outcome.ok) throw new Error(outcome.message);
  return outcome.sale;
}

describe('returns', () => {
  it('re-activates a code within the window with manager approval; the write-off record stays', () => {
    const sale = sell(code(1), code(2));
    now += 9 * DAY;
    const outcome = t.returns.processReturn({
      externalRef: 'r-1',
      approvedBy: 'mgr-1',
      reason: 'unopened',
      lines: [{ data: code(1) }],
    });
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.return).toMatchObject({
      approvedBy: 'mgr-1',
      reason: 'unopened',
      lines: [{ codeKey: code(1), saleId: sale.saleId }],
    });
    expect(t.ledger.writeOffOf(code(1))).toBeUndefined();
    expect(t.ledger.writeOffOf(code(2))).toBeDefined();
    expect(t.ledger.records(0, 10).map((r) => r.type)).toEqual(['sale', 'write_off', 'write_off', 'return']);
    expect(t.ledger.record(sale.writeOffs[0]!.recordId)?.type).toBe('write_off');
    // Re-activated: it can be sold again, and a retry of the return changes nothing.
    expect(sell(code(1)).writeOffs).toHaveLength(1);
    const retry = t.returns.processReturn({
      externalRef: 'r-1',
      approvedBy: 'mgr-1',
      lines: [{ data: code(1) }],
    });
    expect(retry).toMatchObject({ ok: true, replayed: true, return: { returnId: outcome.return.returnId } });
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 6 });
  });

  it('refuses after the window, without approval, for codes never sold here or not in the given sale', () => {
    const sale = sell(code(3));
    sell(code(4));
    expect(t.returns.processReturn({ approvedBy: ' ', lines: [{ data: code(3) }] })).toMatchObject({
      ok: false,
      code: 'approval_required',
    });
    expect(
      t.returns.processReturn({
        approvedBy: 'm',
        saleId: sale.saleId,
        lines: [{ data: code(4) }, { data: code(5) }, { data: 'x' }],
      }),
    ).toMatchObject({
      ok: false,
      code: 'lines_refused',
      refused: [
        { line: 0, codeKey: code(4), reason: 'not_in_sale' },
        { line: 1, codeKey: code(5), reason: 'not_sold_here' },
        { line: 2, reason: 'malformed' },
      ],
    });
    now += 10 * DAY + 1000;
    expect(t.returns.processReturn({ approvedBy: 'm', lines: [{ data: code(3) }] })).toMatchObject({
      ok: false,
      refused: [{ reason: 'window_passed' }],
    });
    expect(t.ledger.writeOffOf(code(3))).toBeDefined();
    expect(t.ledger.records(0, 100).filter((r) => r.type === 'return')).toHaveLength(0);
  });

  it('never re-activates recalled, stolen, destroyed or expired units', () => {
    sell(code(20), code(21), code(22), code(800000007));
    t.setStatus(code(20), 'recalled');
    t.setStatus(code(21), 'stolen');
    t.setStatus(code(22), 'destroyed');
    now += 7 * DAY; // batch EXPIRES-SOON expired 5 days after the sale
    const outcome = t.returns.processReturn({
      approvedBy: 'm',
      lines: [{ data: code(20) }, { data: code(21) }, { data: code(22) }, { data: code(800000007) }],
    });
    expect(outcome).toMatchObject({
      ok: false,
      refused: [{ reason: 'recalled' }, { reason: 'stolen' }, { reason: 'destroyed' }, { reason: 'expired' }],
    });
  });

  it('refuses a unit written off at another store', () => {
    const other = new Ledger({ db: t.db, identity: t.identity, storeId: 'store-z', terminalId: 'lane-9' });
    other.transaction(() => {
      const s = other.append('sale', { lines: [] });
      other.append('write_off', { codeKey: code(30), saleId: s.id, line: 0 });
    });
    expect(t.returns.processReturn({ approvedBy: 'm', lines: [{ data: code(30) }] })).toMatchObject({
      ok: false,
      refused: [{ reason: 'other_store' }],
    });
  });
});
