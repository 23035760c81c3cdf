import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { IngestStore } from '../../../upstream/ingest-store.js';
import { foldUnitEvents } from '../../../upstream/registry-publisher.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal, SPLIT } from './checkout-fixture.js';

/**
 * Upstream counts a split pack as sold only once its last part is: the sale records of parts
 * imply nothing (record-decoders.ts), the last part's write-off is the one `sold` event, and a
 * return of a part of a pack still open implies nothing either.
 */
describe('split packs upstream', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let t: ReturnType<typeof openTerminal>;
  beforeEach(() => {
    temp = makeTempDir();
    t = openTerminal({ dir: temp.dir, storeId: 's1', terminalId: 't1' });
  });
  afterEach(() => {
    t.close();
    temp.cleanup();
  });

  it('parts are no unit events; the last part is one sold event; returns of parts follow', () => {
    const key = code(1, SPLIT);
    const other = code(2, SPLIT);
    const sell = (data: string, quantity: number) => {
      const outcome = t.checkout.completeSale({ lines: [{ data, quantity }] });
      expect(outcome.ok).toBe(true);
    };
    sell(key, 3);
    sell(other, 4);
    const store = new IngestStore(openDatabase(join(temp.dir, 'upstream.db')));
    store.enrol('s1', 't1', t.identity.publicKeyPem);
    const events = () => store.unpublishedUnitEvents().map((e) => [e.key, e.status]);

    expect(store.ingest('s1', 't1', t.ledger.pending(0, 100))).toMatchObject({ unitEvents: 0 });
    sell(key, 7);
    let after = t.ledger.headSeq();
    const seq = after;
    expect(store.ingest('s1', 't1', t.ledger.pending(0, 100))).toMatchObject({ ackSeq: seq, unitEvents: 1 });
    expect(events()).toEqual([[key, 'sold']]);

    // The last part back: the pack is on hand again (active); then the first part, and a part of
    // the other, still open, pack: nothing changes upstream.
    for (let i = 0; i < 2; i++)
      expect(t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: key }] }).ok).toBe(true);
    expect(t.returns.processReturn({ approvedBy: 'm1', lines: [{ data: other }] }).ok).toBe(true);
    after = t.ledger.headSeq();
    expect(store.ingest('s1', 't1', t.ledger.pending(seq, 100))).toMatchObject({
      ackSeq: after,
      unitEvents: 1,
    });
    expect(events()).toEqual([
      [key, 'sold'],
      [key, 'active'],
    ]);
    expect(store.alerts()).toEqual([]);
    expect(foldUnitEvents(store.unpublishedUnitEvents()).map((c) => [c.key, c.status])).toEqual([
      [key, 'active'],
    ]);
  });
});
