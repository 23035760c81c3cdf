import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import { outboxRunReader } from '../../../terminal/ledger/outbox-json.js';
import { parseRecordBatch } from '../../../terminal/sync/protocol.js';
import { recordsFromCompact } from '../../../upstream/record-verify.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('outboxRunReader', () => {
  const tmp = makeTempDir('vt-outbox-json-');
  afterAll(() => tmp.cleanup());
  const keys = generateKeyPairSync('ed25519');
  const ledger = new Ledger({
    file: join(tmp.dir, 'ledger.db'),
    identity: identityFromPrivateKey(keys.privateKey),
    storeId: 's1',
    terminalId: 't1',
  });
  ledger.transaction(() => {
    for (let i = 0; i < 30; i++)
      ledger.append('receipt_printed', {
        i,
        text: 'naïve "quoted" \\ 中文 \u2028 😀',
        nested: { b: [1, null], a: true },
      });
  });
  const read = outboxRunReader(ledger.db);
  const parse = (buf: Buffer) =>
    JSON.parse(`{${buf.toString('utf8')}}`) as {
      ids: string[];
      types: string[];
      ats: string[];
      payloads: unknown[];
      sigs: string[];
    };

  it('writes the columns of the same records as Ledger.pending(), in order, with the first prevHash', () => {
    const run = read(0, 100, 1 << 20)!;
    const records = ledger.pending(0, 100);
    expect(run).toMatchObject({ count: 30, firstSeq: 1, lastSeq: 30, prevHash: records[0]!.prevHash });
    expect(parse(run.columns)).toEqual({
      ids: records.map((r) => r.id),
      types: records.map((r) => r.type),
      ats: records.map((r) => r.at),
      payloads: records.map((r) => r.payload),
      sigs: records.map((r) => r.signature),
    });
    expect(read(10, 5, 1 << 20)!.prevHash).toBe(records[9]!.hash);
  });

  it('as a version 2 batch, upstream derives exactly the ledger records from it (seq, chain, hashes)', () => {
    const run = read(4, 100, 1 << 20)!;
    const head = {
      v: 2,
      batchId: 't1:5-30',
      storeId: 's1',
      terminalId: 't1',
      firstSeq: 5,
      prevHash: run.prevHash,
    };
    const body = JSON.parse(`${JSON.stringify(head).slice(0, -1)},${run.columns.toString('utf8')}}`);
    const parsed = parseRecordBatch(body);
    if (!parsed.ok || parsed.batch.v !== 2) throw new Error(JSON.stringify(parsed));
    expect(recordsFromCompact(parsed.batch).records).toEqual(ledger.pending(4, 100));
  });

  it('honours afterSeq, the record limit and the byte cap (at least one record)', () => {
    expect(read(10, 5, 1 << 20)).toMatchObject({ count: 5, firstSeq: 11, lastSeq: 15 });
    const one = read(0, 1, 1 << 20)!.columns.length;
    const capped = read(0, 100, one * 3)!;
    expect(capped.count).toBeGreaterThanOrEqual(2);
    expect(capped.count).toBeLessThanOrEqual(3);
    expect(capped.columns.length).toBeLessThanOrEqual(one * 3);
    expect(read(0, 100, 10)!.count).toBe(1);
  });

  it('starts after the acknowledged rows and says when nothing is pending', () => {
    ledger.acknowledge(28);
    const run = read(0, 100, 1 << 20)!;
    expect(run).toMatchObject({ count: 2, firstSeq: 29, lastSeq: 30 });
    expect(parse(run.columns).ids).toEqual(ledger.pending(0, 100).map((r) => r.id));
    expect(read(30, 100, 1 << 20)).toBeUndefined();
  });
});
