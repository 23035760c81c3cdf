import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SaleBatcher } from '../../../terminal/lanes/checkout-batcher.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal } from './checkout-fixture.js';

let temp: ReturnType<typeof makeTempDir>;
let t: ReturnType<typeof openTerminal>;
beforeEach(() => {
  temp = makeTempDir();
  t = openTerminal({ dir: temp.dir });
});
afterEach(() => {
  t.close();
  temp.cleanup();
});

describe('SaleBatcher (group commit)', () => {
  it('writes sales submitted together in one transaction; a code in two of them sells once', async () => {
    const batcher = new SaleBatcher(t.checkout);
    const outcomes = await Promise.all([
      batcher.submit({ externalRef: 'a', lines: [{ data: code(1) }, { data: code(2) }] }),
      batcher.submit({ externalRef: 'b', lines: [{ data: code(3) }] }),
      batcher.submit({ externalRef: 'c', lines: [{ data: code(2) }, { data: code(4) }] }),
      batcher.submit({ externalRef: 'd', lines: [] }),
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual([
      'ok',
      'ok',
      'lines_refused',
      'invalid_sale',
    ]);
    expect(outcomes[2]).toMatchObject({
      refused: [{ line: 0, codeKey: code(2), reason: 'sold_concurrently' }],
    });
    const records = t.ledger.records(0, 100);
    expect(records.map((r) => r.type)).toEqual([
      'sale',
      'write_off',
      'write_off',
      'sale',
      'write_off',
      'alert',
    ]);
    // One transaction: the ledger pins one time per transaction.
    expect(new Set(records.map((r) => r.at)).size).toBe(1);
    expect(t.ledger.writeOffOf(code(4))).toBeUndefined();
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 6 });
  });

  it('a sale that fails mid-write rolls back alone; the others commit', async () => {
    const commit = t.checkout.commitPrepared.bind(t.checkout);
    t.checkout.commitPrepared = (prepared) => {
      const outcome = commit(prepared);
      if (prepared.input.externalRef === 'boom') throw new Error('disk hiccup');
      return outcome;
    };
    const batcher = new SaleBatcher(t.checkout);
    const [a, boom, c] = await Promise.allSettled([
      batcher.submit({ externalRef: 'a', lines: [{ data: code(10) }] }),
      batcher.submit({ externalRef: 'boom', lines: [{ data: code(11) }] }),
      batcher.submit({ externalRef: 'c', lines: [{ data: code(12) }] }),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(boom).toMatchObject({ status: 'rejected', reason: new Error('disk hiccup') });
    expect(c.status).toBe('fulfilled');
    expect(t.ledger.saleByExternalRef('boom')).toBeUndefined();
    expect(t.ledger.writeOffOf(code(11))).toBeUndefined();
    expect(t.ledger.verifyChain()).toMatchObject({ ok: true, records: 4 });
  });
});
