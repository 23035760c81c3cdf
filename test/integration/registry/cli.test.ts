import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { RegistryStore } from '../../../terminal/registry/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function cli(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += c;
  });
  stderr.on('data', (c) => {
    err += c;
  });
  const code = await main(['registry', ...argv], { stdout, stderr, stdin: new PassThrough() });
  return { code, out, err };
}

describe('veriterm registry CLI, end to end in a temp dir', () => {
  const tmp = makeTempDir();
  const f = (name: string) => join(tmp.dir, name);
  afterAll(() => tmp.cleanup());

  it('keygen writes a 0600 private key and never prints it', async () => {
    for (const name of ['root', 'release', 'root2', 'release2']) {
      const r = await cli('keygen', '--out', f(`${name}.key`));
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^keyid [0-9a-f]{64}$/m);
      expect(statSync(f(`${name}.key`)).mode & 0o777).toBe(0o600);
      const pem = readFileSync(f(`${name}.key`), 'utf8');
      expect(pem).toContain('PRIVATE KEY');
      const body = pem.split('\n')[1]!;
      expect(r.out + r.err).not.toContain(body);
      expect(JSON.parse(readFileSync(f(`${name}.pub.json`), 'utf8'))).toMatchObject({ keytype: 'ed25519' });
    }
    expect((await cli('keygen', '--out', f('root.key'))).code).toBe(1);
  });

  it('root init, build from CSV, inspect, verify, pin, import, delta from NDJSON', async () => {
    expect(
      (
        await cli(
          'root',
          'init',
          '--root-key',
          f('root.key'),
          '--release-key',
          f('release.pub.json'),
          '--out',
          f('root.json'),
        )
      ).code,
    ).toBe(0);
    writeFileSync(
      f('products.csv'),
      'key,name_zh,name_en,manufacturer,spec,covered\n6901234,"感冒灵颗粒","Cold Relief, Granules",华润三九,10 g,1\n0109506000134352,纯牛奶,Whole Milk,伊利,,true\n',
    );
    writeFileSync(
      f('batches.csv'),
      'product,number,production_date,expiry_date,recalled,recall_reason\n6901234,B1,2025-01-01,2099-01-01,0,\n6901234,B2,2025-01-01,2099-01-01,1,assay\n',
    );
    writeFileSync(
      f('units.csv'),
      'key,status,batch,sold_store,sold_at\n69012340000000011234,active,B1,,\n69012340000000021234,recalled,B2,,\n010950600013435221ABC,sold,,S0042,2026-11-20T09:30:00Z\n',
    );
    const build = await cli(
      'build',
      '--products',
      f('products.csv'),
      '--batches',
      f('batches.csv'),
      '--units',
      f('units.csv'),
      '--scope',
      'cn-east',
      '--version',
      '1',
      '--expires',
      '30d',
      '--key',
      f('release.key'),
      '--out',
      f('r1.manifest.json'),
    );
    expect(build).toMatchObject({ code: 0 });
    expect(build.out).toContain('2 products, 2 batches, 3 units');

    const inspect = await cli('inspect', f('r1.manifest.json'));
    expect(inspect.out).toContain('snapshot cn-east v1');
    expect((await cli('verify', f('r1.manifest.json'), '--root', f('root.json'))).code).toBe(0);

    const db = f('terminal.db');
    expect(await cli('pin', f('root.json'), '--db', db, '--scope', 'cn-east')).toMatchObject({
      code: 0,
      out: 'pinned root v1\n',
    });
    const imported = await cli('import', f('r1.manifest.json'), '--db', db);
    expect(imported).toMatchObject({ code: 0 });
    expect(imported.out).toContain('installed snapshot cn-east v1');

    writeFileSync(
      f('changes.ndjson'),
      [
        {
          type: 'unit',
          key: '69012340000000011234',
          status: 'sold',
          batch: 'B1',
          sold_store: 'S7',
          sold_at: '2026-11-27T08:00:00Z',
        },
        { op: 'delete', type: 'unit', key: '010950600013435221ABC' },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    );
    // The publisher keeps its own copy to build deltas against.
    const pub = f('publisher.db');
    expect((await cli('import', f('r1.manifest.json'), '--db', pub, '--root', f('root.json'))).code).toBe(0);
    const d = await cli(
      'delta',
      '--base-db',
      pub,
      '--input',
      f('changes.ndjson'),
      '--scope',
      'cn-east',
      '--key',
      f('release.key'),
      '--out',
      f('r2.manifest.json'),
    );
    expect(d).toMatchObject({ code: 0 });
    expect(d.out).toContain('v1 -> v2');
    expect((await cli('verify', f('r2.manifest.json'), '--db', db)).code).toBe(0);
    expect((await cli('import', f('r2.manifest.json'), '--db', db)).code).toBe(0);
    const store = RegistryStore.open(db, { readonly: true });
    expect(store.state()).toMatchObject({ version: 2, units: 2 });
    expect(store.lookup('69012340000000011234').unit).toMatchObject({
      status: 'sold',
      soldAt: { store: 'S7', at: '2026-11-27T08:00:00.000Z' },
    });
    store.close();

    // Refusal: exit 1 with the code.
    const again = await cli('import', f('r1.manifest.json'), '--db', db);
    expect(again.code).toBe(1);
    expect(again.err).toContain('[rollback]');
  });

  it('root rotate, synth (NDJSON build too), and import following the rotation', async () => {
    const rotate = await cli(
      'root',
      'rotate',
      '--root',
      f('root.json'),
      '--sign',
      f('root.key'),
      '--root-key',
      f('root2.key'),
      '--release-key',
      f('release2.pub.json'),
      '--out',
      f('root-2.json'),
    );
    expect(rotate).toMatchObject({ code: 0 });
    const synth = await cli(
      'synth',
      '--units',
      '500',
      '--scope',
      'cn-east',
      '--version',
      '3',
      '--key',
      f('release2.key'),
      '--ship-root',
      f('root-2.json'),
      '--out',
      f('r3.manifest.json'),
    );
    expect(synth.code).toBe(0);
    expect(synth.out).toContain('500 units');
    const imported = await cli('import', f('r3.manifest.json'), '--db', f('terminal.db'));
    expect(imported.out).toContain('installed snapshot cn-east v3 (was v2)');

    writeFileSync(
      f('input.ndjson'),
      `${JSON.stringify({ type: 'product', key: '6901234', name_zh: '甲', name_en: 'A', manufacturer: 'M' })}\n${JSON.stringify({ type: 'unit', key: '69012340000000011234' })}\n`,
    );
    expect(
      (
        await cli(
          'build',
          '--input',
          f('input.ndjson'),
          '--scope',
          's',
          '--version',
          '1',
          '--key',
          f('release2.key'),
          '--out',
          f('n.manifest.json'),
        )
      ).code,
    ).toBe(0);
    writeFileSync(
      f('bad.ndjson'),
      `${JSON.stringify({ type: 'unit', key: '69012340000000011234', status: 'lost' })}\n`,
    );
    const bad = await cli(
      'build',
      '--input',
      f('bad.ndjson'),
      '--scope',
      's',
      '--version',
      '1',
      '--key',
      f('release2.key'),
      '--out',
      f('b.manifest.json'),
    );
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('bad.ndjson:1: field status');
  });

  it('--help for every subcommand; exit 2 on bad flags and unknown subcommands', async () => {
    for (const sub of [
      ['keygen'],
      ['root', 'init'],
      ['root', 'rotate'],
      ['build'],
      ['delta'],
      ['inspect'],
      ['verify'],
      ['synth'],
      ['import'],
      ['pin'],
    ]) {
      const r = await cli(...sub, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`veriterm registry ${sub.join(' ')}`);
    }
    expect((await cli('--help')).out).toContain('root rotate');
    const bad = await cli('synth', '--unitz', '5');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--unitz');
    expect(
      (await cli('synth', '--units', 'many', '--key', f('release.key'), '--out', f('x.manifest.json'))).code,
    ).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('import', '--db', f('x.db'))).code).toBe(2);
  });

  it('the installed bin runs it too', () => {
    const r = spawnSync(
      process.execPath,
      ['bin/veriterm.js', 'registry', 'inspect', f('r1.manifest.json'), '--json'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ scope: 'cn-east', version: 1, kind: 'snapshot' });
  });
});
