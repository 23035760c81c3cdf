import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { checkRuntimeBuilt } from '../../../provisioning/doctor/runtime-check.js';
import { prepareRuntime, runtimeProblems } from '../../../provisioning/runtime-check.js';
import { installRuntime, productionDependencies } from '../../../provisioning/runtime-install.js';
import { ensureSystemUser, type RunTool } from '../../../provisioning/service-account.js';
import { assertReachable, handOverState } from '../../../provisioning/state-ownership.js';
import { VeritermError } from '../../../terminal/errors.js';
import { runsAsRoot, serviceVisibleWorkDir } from '../../helpers/root.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// Outside /tmp: the runtime check refuses what PrivateTmp= would hide.
const WORK = serviceVisibleWorkDir(ROOT, 'service-setup');

const code = (e: unknown) => (e instanceof VeritermError ? e.code : String(e));

describe('runtime check', () => {
  afterAll(() => rmSync(WORK, { recursive: true, force: true }));

  function fakePackage(name: string, buildScript?: string): string {
    const dir = join(WORK, name);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    for (let d = dir; d.startsWith(`${ROOT}/`) || d.startsWith('/srv/'); d = dirname(d)) chmodSync(d, 0o755);
    writeFileSync(join(dir, 'package.json'), '{"name":"veriterm"}');
    if (buildScript) writeFileSync(join(dir, 'bin', 'build.js'), buildScript);
    return dir;
  }

  test('an unbuilt package: the compiled CLI and the kiosk UI are named, both fixable by a build', async () => {
    const dir = fakePackage('unbuilt');
    const problems = await runtimeProblems(dir, process.execPath);
    expect(problems.map((p) => p.text)).toEqual([
      `${dir}/dist/cli/veriterm.js is missing (dist/ is not built)`,
      `${dir}/kiosk-ui/dist/index.html is missing (the kiosk UI is not built)`,
    ]);
    expect(problems.every((p) => p.buildFixes)).toBe(true);
    const error = await prepareRuntime(dir, { build: false }).catch((e: unknown) => e);
    expect(code(error)).toBe('runtime_not_ready');
    expect((error as Error).message).toContain('nothing was spent');
    expect((error as Error).message).toContain('kiosk UI is not built');
    // Doctor: a FAIL for an installed (compiled) terminal, a WARN for a development run.
    const installed = await checkRuntimeBuilt(dir, false);
    expect(installed).toMatchObject({ name: 'runtime', level: 'fail' });
    expect(installed.message).toContain('the kiosk UI is not built');
    expect(installed.remedy).toBe(`run \`npm run build\` in ${dir}, then systemctl restart veriterm`);
    expect(await checkRuntimeBuilt(dir, true)).toMatchObject({ level: 'warn' });
  });

  test('a package under /tmp or /root is refused: the sandbox hides it; a 0700 folder above it locks the user out', async () => {
    const tmp = makeTempDir('vt-rt-');
    try {
      const hidden = await runtimeProblems(tmp.dir, process.execPath);
      expect(hidden.map((p) => p.text)).toContainEqual(
        expect.stringContaining('under /tmp, which the service'),
      );
      expect((await runtimeProblems(tmp.dir, '/root/.nvm/node')).map((p) => p.text).join('\n')).toContain(
        'node is at /root/.nvm/node, under /root',
      );
    } finally {
      tmp.cleanup();
    }
    const dir = fakePackage('locked');
    chmodSync(dirname(dir), 0o700);
    try {
      const problems = await runtimeProblems(dir, process.execPath);
      expect(problems.map((p) => p.text)).toContainEqual(
        `veriterm at ${dir}: ${dirname(dir)} is not searchable by others (chmod o+x ${dirname(dir)})`,
      );
    } finally {
      chmodSync(dirname(dir), 0o755);
    }
  });

  test('build: runs bin/build.js --if-stale once, then passes; a failing build names its output', async () => {
    const dir = fakePackage(
      'buildable',
      `import { mkdirSync, writeFileSync } from 'node:fs';
       if (process.argv[2] !== '--if-stale') process.exit(3);
       mkdirSync('dist/cli', { recursive: true }); writeFileSync('dist/cli/veriterm.js', '');
       mkdirSync('kiosk-ui/dist', { recursive: true }); writeFileSync('kiosk-ui/dist/index.html', '');`,
    );
    writeFileSync(join(dir, 'package.json'), '{"name":"veriterm","type":"module"}');
    const runtime = await prepareRuntime(dir, { build: true });
    expect(runtime.entry).toBe(join(dir, 'dist', 'cli', 'veriterm.js'));
    expect(await checkRuntimeBuilt(dir, false)).toMatchObject({ level: 'ok' });
    const broken = fakePackage('broken', 'console.error("tsc: error TS2322 somewhere"); process.exit(1);');
    const error = await prepareRuntime(broken, { build: true }).catch((e: unknown) => e);
    expect(code(error)).toBe('runtime_build_failed');
    expect((error as Error).message).toContain('TS2322 somewhere');
  });
});

describe('runtime install', () => {
  afterAll(() => rmSync(WORK, { recursive: true, force: true }));

  test('copies the built runtime with production dependencies only, readable by all; a second install swaps it', async () => {
    const from = join(WORK, 'checkout');
    const write = (rel: string, text: string, mode = 0o600) => {
      mkdirSync(dirname(join(from, rel)), { recursive: true });
      writeFileSync(join(from, rel), text, { mode });
    };
    write(
      'package.json',
      JSON.stringify({
        name: 'veriterm',
        dependencies: { a: '1.0.0' },
        devDependencies: { b: '1.0.0', d: '1.0.0' },
      }),
    );
    // d is a devDependency of the package and what a needs at run time (as ws is for mqtt here):
    // npm ls --omit=dev leaves it out, the runtime still needs it.
    write(
      'node_modules/a/package.json',
      '{"name":"a","version":"1.0.0","dependencies":{"c":"1.0.0","d":"1.0.0"}}',
    );
    write('node_modules/d/package.json', '{"name":"d","version":"1.0.0"}');
    write('node_modules/a/node_modules/c/package.json', '{"name":"c","version":"1.0.0"}');
    write('node_modules/b/package.json', '{"name":"b","version":"1.0.0"}');
    // Sources first: a UI built before its sources changed would (rightly) be stale.
    write('kiosk-ui/src/main.tsx', 'sources stay behind');
    write('cli/veriterm.ts', 'sources stay behind');
    write('dist/cli/veriterm.js', '');
    write('kiosk-ui/dist/index.html', '');
    expect(productionDependencies(from)).toEqual(['a', 'd']);
    const to = join(WORK, 'opt', 'veriterm');
    for (let d = WORK; d.startsWith(`${ROOT}/`) || d.startsWith('/srv/'); d = dirname(d)) chmodSync(d, 0o755);
    const runtime = await prepareRuntime(from, { build: false, installTo: to });
    expect(runtime).toEqual({
      dir: to,
      entry: join(to, 'dist', 'cli', 'veriterm.js'),
      nodeBin: realpathSync(process.execPath),
    });
    const has = (rel: string) => existsSync(join(to, rel));
    expect(
      [
        'node_modules/a/package.json',
        'node_modules/a/node_modules/c/package.json',
        'kiosk-ui/dist/index.html',
      ].every(has),
    ).toBe(true);
    expect(['node_modules/b', 'kiosk-ui/src', 'cli'].some(has)).toBe(false);
    expect((statSync(join(to, 'dist', 'cli', 'veriterm.js')).mode & 0o777).toString(8)).toBe('644');
    expect((statSync(join(to, 'dist')).mode & 0o777).toString(8)).toBe('755');
    write('dist/cli/veriterm.js', '// v2');
    expect(installRuntime(from, to)).toBe(true);
    expect(readFileSync(join(to, 'dist', 'cli', 'veriterm.js'), 'utf8')).toBe('// v2');
    expect(readdirSync(dirname(to))).toEqual(['veriterm']);
    expect(installRuntime(to, to)).toBe(false);
  });
});

describe('service account', () => {
  const passwd = (line: string | undefined): RunTool & { calls: string[][] } => {
    const calls: string[][] = [];
    let known = line;
    const run = ((bin: string, args: string[]) => {
      calls.push([bin, ...args]);
      if (bin === 'getent') {
        if (!known) throw new Error('exit 2');
        return `${known}\n`;
      }
      known = `${args.at(-1)}:x:998:998:c:/var/lib/veriterm:/usr/sbin/nologin`;
      return '';
    }) as RunTool & { calls: string[][] };
    run.calls = calls;
    return run;
  };
  const spec = { name: 'veriterm', home: '/var/lib/veriterm', comment: 'veriterm terminal' };

  test('a missing user is created as a system user with its own group and no login shell', () => {
    const run = passwd(undefined);
    const account = ensureSystemUser(spec, run);
    expect(account).toMatchObject({ uid: 998, gid: 998, shell: '/usr/sbin/nologin' });
    expect(run.calls[1]).toEqual([
      'useradd',
      '--system',
      '--user-group',
      '--home-dir',
      '/var/lib/veriterm',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      '--comment',
      'veriterm terminal',
      'veriterm',
    ]);
  });

  test('an existing account is kept when it cannot log in and refused when it can; bad names are refused', () => {
    const existing = passwd('veriterm:x:990:990::/var/lib/veriterm:/usr/sbin/nologin');
    expect(ensureSystemUser(spec, existing).uid).toBe(990);
    expect(existing.calls.map((c) => c[0])).toEqual(['getent']);
    const login = passwd('veriterm:x:1000:1000::/home/veriterm:/bin/bash');
    expect(() => ensureSystemUser(spec, login)).toThrow(/login shell \/bin\/bash/);
    expect(() => ensureSystemUser({ ...spec, name: 'Root;rm' }, passwd(undefined))).toThrow(/not valid/);
  });
});

describe.skipIf(!runsAsRoot('state hand-over (chown to another user)'))('state hand-over (as root)', () => {
  const tmp = makeTempDir('vt-own-');
  afterAll(() => tmp.cleanup());
  const account = { name: 'svc', uid: 4242, gid: 4343 };

  test('the data dir goes to the account (0700 dirs, 0600 files); the config stays root:group 0640', () => {
    chmodSync(tmp.dir, 0o755);
    const dataDir = join(tmp.dir, 'data');
    mkdirSync(join(dataDir, 'credentials'), { recursive: true, mode: 0o755 });
    writeFileSync(join(dataDir, 'credentials', 'broker.json'), '{}', { mode: 0o644 });
    writeFileSync(join(dataDir, 'registry.db'), '', { mode: 0o644 });
    const configFile = join(tmp.dir, 'config.json');
    writeFileSync(configFile, '{}', { mode: 0o644 });
    handOverState({ dataDir, configFile }, account);
    const st = (p: string) => {
      const s = statSync(p);
      return [s.uid, s.gid, (s.mode & 0o777).toString(8)];
    };
    expect(st(dataDir)).toEqual([4242, 4343, '700']);
    expect(st(join(dataDir, 'credentials'))).toEqual([4242, 4343, '700']);
    expect(st(join(dataDir, 'credentials', 'broker.json'))).toEqual([4242, 4343, '600']);
    expect(st(join(dataDir, 'registry.db'))).toEqual([4242, 4343, '600']);
    expect(st(configFile)).toEqual([0, 4343, '640']);

    symlinkSync('/etc/shadow', join(dataDir, 'evil'));
    expect(() => handOverState({ dataDir, configFile }, account)).toThrow(/evil is a symbolic link/);
    expect(statSync('/etc/shadow').uid).toBe(0);
  });

  test('a folder above the state that others cannot search is named before anything is written', () => {
    const locked = join(tmp.dir, 'locked');
    mkdirSync(locked, { mode: 0o700 });
    chmodSync(locked, 0o700);
    expect(() =>
      assertReachable(
        { dataDir: join(locked, 'not', 'yet', 'data'), configFile: join(tmp.dir, 'c.json') },
        'svc',
      ),
    ).toThrow(`${locked} is not searchable by others (mode 700)`);
  });
});
