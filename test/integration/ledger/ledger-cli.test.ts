import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/index.js';
import { Ledger, ledgerPaths } from '../../../terminal/ledger/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

async function cli(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await main(argv, { stdout, stderr, stdin: new PassThrough() });
  return { code, out, err };
}

let temp: ReturnType<typeof makeTempDir>;
let ledger: Ledger;

beforeEach(() => {
  temp = makeTempDir();
  const paths = ledgerPaths(temp.dir);
  const identity = loadOrCreateTerminalKey(paths.key);
  const days = [
    '2026-03-01T23:59:59.999Z',
    '2026-03-02T00:00:00.000Z',
    '2026-03-02T12:00:00.000Z',
    '2026-03-03T00:00:00.000Z',
  ];
  let i = 0;
  ledger = Ledger.open({
    file: paths.db,
    identity,
    storeId: 's1',
    terminalId: 't1',
    clock: () => new Date(days[i]!),
  });
  for (; i < days.length; i++) {
    ledger.transaction(() => {
      const sale = ledger.append('sale', { externalRef: `r,"${i}"`, lines: [{ codeKey: `code${i}` }] });
      ledger.append('write_off', { codeKey: `code${i}`, saleId: sale.id, line: 0 });
    });
  }
  ledger.acknowledge(2);
});
afterEach(() => {
  ledger.close();
  temp.cleanup();
});

describe('veriterm ledger', () => {
  it('verify: OK with the terminal key, and with an exported public key', async () => {
    const ok = await cli('ledger', 'verify', '--data', temp.dir);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toContain('OK 8 records, head seq 8');
    expect(ok.out).toContain('6 pending, acknowledged up to seq 2');
    const pub = join(temp.dir, 'pub.pem');
    writeFileSync(pub, ledger.identity.publicKeyPem);
    expect((await cli('ledger', 'verify', '--data', temp.dir, '--public-key', pub)).code).toBe(0);
  });

  it('verify: exit 1 naming the altered record', async () => {
    ledger.close();
    const other = makeTempDir();
    try {
      copyFileSync(join(temp.dir, 'terminal.db'), join(other.dir, 'terminal.db'));
      const raw = new Database(join(other.dir, 'terminal.db'));
      raw.exec('DROP TRIGGER ledger_records_no_update');
      raw
        .prepare(`UPDATE ledger_records SET payload = replace(payload, 'code2', 'code7') WHERE seq = 6`)
        .run();
      raw.close();
      const pub = join(other.dir, 'pub.pem');
      writeFileSync(pub, ledger.identity.publicKeyPem);
      const bad = await cli('ledger', 'verify', '--data', other.dir, '--public-key', pub);
      expect(bad.code).toBe(1);
      expect(bad.out).toMatch(/FAILED at record 6 .*\[hash_mismatch\]/);
    } finally {
      other.cleanup();
    }
  });

  it('export: one UTC day as ndjson or RFC 4180 csv', async () => {
    const nd = await cli('ledger', 'export', '--data', temp.dir, '--day', '2026-03-02', '--format', 'ndjson');
    expect(nd.code).toBe(0);
    const rows = nd.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.seq, r.type])).toEqual([
      [3, 'sale'],
      [4, 'write_off'],
      [5, 'sale'],
      [6, 'write_off'],
    ]);
    expect(rows[0]).toEqual(ledger.recordAt(3));
    const csv = await cli('ledger', 'export', '--data', temp.dir, '--day', '2026-03-02', '--format', 'csv');
    // RFC 4180 line endings (CRLF), the same bytes as the manager page's download.
    expect(csv.out.endsWith('\r\n')).toBe(true);
    const lines = csv.out.trim().split('\r\n');
    expect(lines[0]).toBe(
      'seq,id,type,at,store_id,terminal_id,code_key,sale_id,payload,prev_hash,hash,signature',
    );
    expect(lines).toHaveLength(5);
    expect(lines[1]).toContain('"{""externalRef"":""r,\\""1\\"""",');
    expect(lines[2]).toContain(`,code1,${ledger.recordAt(3)!.id},`);
  });

  it('bad flags exit 2 naming what was expected', async () => {
    expect(
      await cli('ledger', 'export', '--data', temp.dir, '--day', '2026-3-2', '--format', 'csv'),
    ).toMatchObject({
      code: 2,
      err: expect.stringContaining('expected --day YYYY-MM-DD'),
    });
    expect(
      await cli('ledger', 'export', '--data', temp.dir, '--day', '2026-03-02', '--format', 'xml'),
    ).toMatchObject({
      code: 2,
      err: expect.stringContaining('csv or ndjson'),
    });
    expect(await cli('ledger', 'shred')).toMatchObject({
      code: 2,
      err: expect.stringContaining("'verify', 'export' or 'recover'"),
    });
    expect(await cli('ledger', 'verify', '--data', join(temp.dir, 'nope'))).toMatchObject({
      code: 1,
      err: expect.stringContaining('No ledger at'),
    });
  });
});
