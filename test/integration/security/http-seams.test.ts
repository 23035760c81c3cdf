/**
 * The seams where malformed or hostile input used to slip through: bearer tokens that are not
 * tokens, URLs that do not decode, impossible days, a reprint with nothing printed, and database
 * files the terminal cannot open at start. Each answers in the wire format with a code that says
 * what was wrong, never a 500, a stack trace, or a silent fall back to anonymous.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER, type ManagerRig, startManagerRig } from '../../e2e/manager-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { call } from './http-client.js';

describe('HTTP seams', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let rig: ManagerRig;
  let url: string;
  let manager: string;

  beforeAll(async () => {
    tmp = makeTempDir('veriterm-seams-');
    rig = await startManagerRig({ dir: tmp.dir });
    url = rig.terminal.url;
    const signIn = await call(url, 'POST', '/api/v1/auth/sign-in', {
      body: { user: MANAGER.user, pin: MANAGER.pin },
    });
    expect(signIn.status).toBe(200);
    manager = signIn.body.data.token;
  }, 60_000);
  afterAll(async () => {
    await rig?.stop();
    tmp?.cleanup();
  });

  const verify = (headers: Record<string, string>) =>
    call(url, 'POST', '/api/v1/verify', { body: { data: '69012340000000012345' }, headers });

  it('an Authorization header that is not "Bearer <token>" is 401 bad_token, never anonymous', async () => {
    expect((await verify({})).status).toBe(200); // no header at all: the anonymous kiosk
    for (const authorization of ['Bearer x y', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'x', '']) {
      const answer = await verify({ authorization });
      expect(answer.status, authorization).toBe(401);
      expect(answer.body).toMatchObject({ status: 'error', error: { code: 'bad_token' } });
    }
    // Public routes too: a broken credential is an error, not a visit without one.
    const health = await call(url, 'GET', '/api/v1/health', { headers: { authorization: 'Bearer x y' } });
    expect(health.status).toBe(401);
  });

  it('an unknown token is 401 bad_token on every route; signing in again works with a stale one', async () => {
    const unknown = await verify({ authorization: 'Bearer not-a-token-we-issued' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('bad_token');
    const health = await call(url, 'GET', '/api/v1/health', { bearer: 'not-a-token-we-issued' });
    expect(health.status).toBe(401);
    const again = await call(url, 'POST', '/api/v1/auth/sign-in', {
      bearer: 'not-a-token-we-issued',
      body: { user: MANAGER.user, pin: MANAGER.pin },
    });
    expect(again.status).toBe(200);
  });

  it('a URL that does not decode is 400 bad_url in the wire format (FST_ERR_BAD_URL)', async () => {
    for (const path of ['/api/v1/%', '/api/v1/sales/%E0%A4%A', '/api/v1/manager/receipts/%zz/preview.png']) {
      const answer = await call(url, 'GET', path, { bearer: manager });
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).toMatchObject({ status: 'error', error: { code: 'bad_url' } });
      expect(answer.body.error.message).toContain('percent-encode');
    }
    const method = await call(url, 'PROPFIND', '/api/v1/verify');
    expect(method.status).toBe(404);
    expect(method.body).toMatchObject({ status: 'error', error: { code: 'not_found' } });
  });

  it('?day=2026-02-30 is 400 naming the field and the expected format; a real day is a CSV', async () => {
    for (const day of ['2026-02-30', '2026-13-01', '2026-2-3', 'yesterday']) {
      const answer = await call(url, 'GET', `/api/v1/manager/ledger.csv?day=${day}`, { bearer: manager });
      expect(answer.status, day).toBe(400);
      expect(answer.body.error).toEqual({
        code: 'bad_request',
        message: `day: expected a calendar day as YYYY-MM-DD (UTC), got "${day}"`,
      });
    }
    const leap = await call(url, 'GET', '/api/v1/manager/ledger.csv?day=2028-02-29', { bearer: manager });
    expect(leap.status).toBe(200);
    expect(leap.headers['content-type']).toContain('text/csv');
  });

  it('reprint with nothing printed yet is 409 nothing_to_reprint, not 500', async () => {
    const answer = await call(url, 'POST', '/api/v1/manager/receipts/reprint', { bearer: manager, body: {} });
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ status: 'error', error: { code: 'nothing_to_reprint' } });
  });
});

describe('veriterm run with a database it cannot open', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir('veriterm-unreadable-');
    chmodSync(tmp.dir, 0o755);
  });
  afterAll(() => tmp?.cleanup());

  /** Runs `veriterm run` on a data dir prepared by `prepare`; resolves with its exit code and output. */
  function runOn(
    name: string,
    prepare: (dataDir: string) => void,
    options: { uid?: number } = {},
  ): Promise<{ code: number | null; stderr: string; stdout: string }> {
    const dataDir = join(tmp.dir, name);
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    prepare(dataDir);
    const config = join(tmp.dir, `${name}.json`);
    writeFileSync(
      config,
      JSON.stringify({ dataDir, http: { host: '127.0.0.1', port: 0 }, log: { level: 'warn' } }),
    );
    chmodSync(config, 0o644);
    const child = spawn(process.execPath, ['bin/veriterm.js', 'run', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += String(c);
    });
    child.stderr.on('data', (c) => {
      stderr += String(c);
    });
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, stdout })));
  }

  it('garbage, a directory, or a file it may not read: one line naming the file and a remedy, exit 1, no stack trace', async () => {
    const root = process.getuid?.() === 0;
    const [garbage, directory, denied] = await Promise.all([
      runOn('garbage', (d) => writeFileSync(join(d, 'terminal.db'), 'not a database\n'.repeat(512))),
      runOn('directory', (d) => mkdirSync(join(d, 'terminal.db'))),
      // Root reads any file: the child runs as nobody then; otherwise the file is made unreadable.
      runOn(
        'denied',
        (d) => {
          writeFileSync(join(d, 'terminal.db'), '');
          chmodSync(join(d, 'terminal.db'), root ? 0o600 : 0o000);
        },
        root ? { uid: 65534 } : {},
      ),
    ]);
    const cases = [
      [
        garbage,
        'garbage',
        /^veriterm run: .*garbage\/terminal\.db is not a readable SQLite database .*restore it from a backup.* \[db_corrupt\]\n$/,
      ],
      [
        directory,
        'directory',
        /^veriterm run: Cannot open .*directory\/terminal\.db: it is a directory .* \[db_unreadable\]\n$/,
      ],
      [
        denied,
        'denied',
        /^veriterm run: Cannot open .*denied\/terminal\.db: permission denied .* \[db_unreadable\]\n$/,
      ],
    ] as const;
    for (const [result, name, line] of cases) {
      expect(result.code, name).toBe(1);
      expect(result.stderr, name).toMatch(line);
      expect(result.stderr, name).not.toMatch(/^\s+at /m);
      expect(result.stdout, name).not.toContain('listening');
    }
  }, 120_000);
});
