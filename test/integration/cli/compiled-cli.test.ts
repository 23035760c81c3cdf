import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/free-port.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

// Production runs the compiled JavaScript (issue 17), while the rest of the suite tests the
// sources: this file compiles the sources as `npm run build` does and runs the result with plain
// node, no tsx, so a path that only holds in the sources (a '../' URL, a .ts reference, a worker
// file) fails here. The output goes inside the package (test/artifacts/), as dist/ does, since
// compiled code finds kiosk-ui/ and bin/ by walking up to veriterm's package.json.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const OUT = join(ROOT, 'test', 'artifacts', `compiled-${process.pid}`);
const CLI = join(OUT, 'cli', 'veriterm.js');

function compiledFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? compiledFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

describe('the compiled CLI (npm run build)', () => {
  let running: ChildProcess | undefined;
  const tmp = makeTempDir('vt-compiled-');

  beforeAll(() => {
    mkdirSync(dirname(OUT), { recursive: true });
    const built = spawnSync(process.execPath, ['bin/build.js', '--out-dir', OUT], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(built.status, `${built.stdout}\n${built.stderr}`).toBe(0);
  }, 240_000);

  afterAll(() => {
    if (running?.exitCode === null) running.kill('SIGKILL');
    rmSync(OUT, { recursive: true, force: true });
    tmp.cleanup();
  });

  it('compiles every module, stamps the build, and nothing compiled loads tsx', () => {
    const files = compiledFiles(OUT);
    expect(files).toContain(join(OUT, 'terminal', 'db', 'writer.worker.js'));
    expect(files).toContain(join(OUT, 'terminal', 'main.js'));
    const stamp = JSON.parse(readFileSync(join(OUT, '.build-stamp.json'), 'utf8')) as {
      sourcesMtimeMs: number;
    };
    expect(stamp.sourcesMtimeMs).toBeGreaterThan(0);
    const withTsx = files.filter((f) => /from ['"]tsx|import\(['"]tsx/.test(readFileSync(f, 'utf8')));
    expect(withTsx).toEqual([]);
  });

  it('--help and parse run from dist with plain node', () => {
    const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: veriterm <command>');
    const parse = spawnSync(process.execPath, [CLI, 'parse', '--json'], {
      input: ']d20104006381333931172712311012345\x1d21SER1\n',
      encoding: 'utf8',
    });
    expect(parse.status, parse.stderr).toBe(0);
    expect(JSON.parse(parse.stdout)).toMatchObject({
      status: 'ok',
      data: {
        kind: 'gs1',
        gtin: '04006381333931',
        attributes: { '01': '04006381333931', '10': '12345', '21': 'SER1' },
      },
    });
  });

  it('the ledger writer’s worker runs from its compiled module, with no loader', () => {
    const db = join(tmp.dir, 'w.db');
    const script = `
      import { SqliteWriterWorker } from ${JSON.stringify(pathToFileURL(join(OUT, 'terminal/db/writer-worker.js')).href)};
      import Database from 'better-sqlite3';
      const setup = new Database(${JSON.stringify(db)});
      setup.exec('CREATE TABLE t (v TEXT)');
      setup.close();
      const w = new SqliteWriterWorker({ file: ${JSON.stringify(db)}, busyTimeoutMs: 1000, pragmas: ['journal_mode = WAL'],
        checks: [], statements: ['INSERT INTO t VALUES (?)'], name: { text: 'The test writer', code: 'test_write' } });
      const r = await w.write([], [[0, ['compiled']]]);
      await w.close();
      console.log(JSON.stringify({ committed: r.committed, rows: new Database(${JSON.stringify(db)}).prepare('SELECT v FROM t').all() }));
    `;
    const file = join(OUT, 'writer-check.mjs');
    writeFileSync(file, script);
    const run = spawnSync(process.execPath, [file], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ committed: true, rows: [{ v: 'compiled' }] });
  });

  it('paths resolved from the compiled modules point into the package, not into the build', () => {
    const script = `
      const { packageRoot } = await import(${JSON.stringify(pathToFileURL(join(OUT, 'terminal/package-root.js')).href)});
      const { UI_DIST } = await import(${JSON.stringify(pathToFileURL(join(OUT, 'terminal/demo/build-ui.js')).href)});
      console.log(JSON.stringify({ root: packageRoot(), ui: UI_DIST }));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-'], {
      input: script,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ root: ROOT, ui: join(ROOT, 'kiosk-ui', 'dist') });
  });

  it('`run` starts from dist and answers /api/v1/health', async () => {
    const port = await freePort();
    const config = join(tmp.dir, 'terminal.json');
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: join(tmp.dir, 'data'),
        http: { host: '127.0.0.1', port },
        log: { level: 'warn' },
      }),
    );
    const child = spawn(process.execPath, [CLI, 'run', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    let output = '';
    child.stdout!.on('data', (c) => {
      output += String(c);
    });
    child.stderr!.on('data', (c) => {
      output += String(c);
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 60_000;
    let health: { status?: string } | undefined;
    while (health?.status !== 'ok') {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not get ready: ${output}`);
      health = await fetch(`http://127.0.0.1:${port}/api/v1/health`)
        .then((r) => r.json() as Promise<{ status?: string }>)
        .catch(() => undefined);
      if (health?.status !== 'ok') await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});
