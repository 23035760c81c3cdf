import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import { outboxRunReader } from '../../../terminal/ledger/outbox-json.js';
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
  const parse = (buf: Buffer) => JSON.parse(`[${buf.toString('utf8')}]`);

  it('writes the same records as Ledger.pending(), in order', () => {
    const run = read(0, 100, 1 << 20)!;
    expect(run).toMatchObject({ count: 30, firstSeq: 1, lastSeq: 30 });
    expect(parse(run.json)).toEqual(ledger.pending(0, 100));
  });

  it('honours afterSeq, the record limit and the byte cap (at least one record)', () => {
    expect(read(10, 5, 1 << 20)).toMatchObject({ count: 5, firstSeq: 11, lastSeq: 15 });
    const one = Buffer.byteLength(JSON.stringify(ledger.pending(0, 1)[0])) + 1;
    const capped = read(0, 100, one * 3 + 2)!;
    expect(capped.count).toBeGreaterThanOrEqual(2);
    expect(capped.count).toBeLessThanOrEqual(3);
    expect(capped.json.length).toBeLessThanOrEqual(one * 3 + 2);
    expect(read(0, 100, 10)!.count).toBe(1);
  });

  it('starts after the acknowledged rows and says when nothing is pending', () => {
    ledger.acknowledge(28);
    expect(parse(read(0, 100, 1 << 20)!.json).map((r: { seq: number }) => r.seq)).toEqual([29, 30]);
    expect(read(30, 100, 1 << 20)).toBeUndefined();
  });
});
