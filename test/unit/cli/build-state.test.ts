import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error bin/ is plain JavaScript (it runs before anything can compile TypeScript)
import { chooseEntry, newestSourceMtimeMs, STAMP_FILE } from '../../../bin/build-state.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

type Choice = { kind: 'dist' | 'sources'; entry: string; reason: string; stale: boolean };
const choose = chooseEntry as (root: string, env?: Record<string, string>) => Choice;

describe('which code bin/veriterm.js runs', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  const at = (seconds: number) => new Date(1_800_000_000_000 + seconds * 1000);
  const file = (path: string, seconds: number, text = '') => {
    const full = join(tmp.dir, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
    utimesSync(full, at(seconds), at(seconds));
  };
  const build = (sourcesSecond: number) => {
    file('dist/cli/veriterm.js', sourcesSecond + 5);
    file(
      `dist/${STAMP_FILE}`,
      sourcesSecond + 5,
      JSON.stringify({ sourcesMtimeMs: at(sourcesSecond).getTime() }),
    );
  };

  beforeEach(() => {
    tmp = makeTempDir('vt-build-state-');
    file('cli/veriterm.ts', 10);
    file('terminal/main.ts', 20);
    file('terminal/db/writer.worker.ts', 30);
    file('tsconfig.json', 5);
  });
  afterEach(() => tmp.cleanup());

  it('a checkout never built runs the sources', () => {
    expect(choose(tmp.dir, {})).toMatchObject({
      kind: 'sources',
      reason: 'dist/ is not built',
      stale: false,
    });
  });

  it('a build stamped with the newest source runs dist/', () => {
    expect((newestSourceMtimeMs as (root: string) => number)(tmp.dir)).toBe(at(30).getTime());
    build(30);
    expect(choose(tmp.dir, {})).toEqual({
      kind: 'dist',
      entry: join(tmp.dir, 'dist', 'cli', 'veriterm.js'),
      reason: 'dist/ is up to date',
      stale: false,
    });
  });

  it('a source (or tsconfig) changed after the build runs the sources, never the old dist/', () => {
    build(30);
    file('terminal/db/writer.worker.ts', 31);
    expect(choose(tmp.dir, {})).toMatchObject({ kind: 'sources', stale: true });
    build(31);
    expect(choose(tmp.dir, {}).kind).toBe('dist');
    file('tsconfig.json', 40);
    expect(choose(tmp.dir, {})).toMatchObject({ kind: 'sources', reason: 'dist/ is older than the sources' });
  });

  it('a build without its stamp (interrupted, or still compiling) is not run', () => {
    build(30);
    file(`dist/${STAMP_FILE}`, 40, '{"sourcesMtimeMs":');
    expect(choose(tmp.dir, {})).toMatchObject({ kind: 'sources', reason: 'dist/ is not built' });
  });

  it('VERITERM_DEV=1 runs the sources even when dist/ is current', () => {
    build(30);
    expect(choose(tmp.dir, { VERITERM_DEV: '1' })).toMatchObject({
      kind: 'sources',
      reason: 'VERITERM_DEV=1',
    });
  });

  it('an installed package (no sources beside bin/) runs dist/', () => {
    const installed = makeTempDir('vt-installed-');
    try {
      expect(choose(installed.dir, { VERITERM_DEV: '1' })).toMatchObject({
        kind: 'dist',
        entry: join(installed.dir, 'dist', 'cli', 'veriterm.js'),
      });
    } finally {
      installed.cleanup();
    }
  });
});
