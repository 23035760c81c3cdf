import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { assertPreflight, preflight } from '../../../provisioning/preflight.js';
import { VeritermError } from '../../../terminal/errors.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const tmp = makeTempDir('vt-preflight-');
afterAll(() => tmp.cleanup());

describe('preflight (before the enrolment code is spent)', () => {
  const built = join(tmp.dir, 'built.js');
  writeFileSync(built, '');
  const base = {
    configFile: join(tmp.dir, 'etc', 'config.json'),
    dataDir: join(tmp.dir, 'var', 'veriterm'),
    built: { runtime: built },
    installsToSystem: false,
  };

  test('folders that do not exist yet but can be created pass', () => {
    expect(preflight(base)).toEqual({ problems: [], warnings: [] });
  });

  test('a missing build stops an install to the real system, and only warns otherwise', () => {
    const missing = { ...base, built: { runtime: join(tmp.dir, 'dist', 'cli', 'veriterm.js') } };
    expect(preflight(missing).problems).toEqual([]);
    expect(preflight(missing).warnings[0]).toContain('npm run build');
    expect(preflight({ ...missing, installsToSystem: true }).problems.map((p) => p.code)).toEqual([
      'not_built',
    ]);
  });

  test('a CA file that is missing or holds no certificate is named', () => {
    const notPem = join(tmp.dir, 'ca.txt');
    writeFileSync(notPem, 'hello');
    expect(preflight({ ...base, brokerCaFile: join(tmp.dir, 'nope.pem') }).problems[0]).toMatchObject({
      code: 'ca_file_missing',
    });
    expect(preflight({ ...base, brokerCaFile: notPem }).problems[0]).toMatchObject({
      code: 'ca_file_invalid',
    });
  });

  test('a folder in the way that is a file, and every problem listed in one error', () => {
    const blocked = join(tmp.dir, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'etc'), 'a file where the config folder should be');
    const { problems } = preflight({
      ...base,
      configFile: join(blocked, 'etc', 'config.json'),
      brokerCaFile: join(tmp.dir, 'nope.pem'),
    });
    expect(problems.map((p) => p.code)).toEqual(['config_dir_not_writable', 'ca_file_missing']);
    expect(problems[0]!.message).toContain(`cannot be created (${join(blocked, 'etc')} is a file)`);
    let error: unknown;
    try {
      assertPreflight(problems);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VeritermError);
    expect((error as VeritermError).code).toBe('config_dir_not_writable');
    expect((error as Error).message).toContain('[ca_file_missing]');
    expect((error as Error).message).toContain('the enrolment code is still valid');
  });
});
