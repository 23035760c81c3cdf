import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { freePort } from '../../helpers/free-port.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => {
    stdout += String(c);
  });
  err.on('data', (c) => {
    stderr += String(c);
  });
  return {
    streams: { stdout: out, stderr: err, stdin: new PassThrough() },
    text: () => ({ stdout, stderr }),
  };
}

describe('veriterm run --config', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    tmp = makeTempDir();
  });
  afterEach(() => tmp.cleanup());

  it('a bad config exits non-zero and lists every bad field with value and expectation', async () => {
    const file = join(tmp.dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        http: { port: 70000, hots: 'x' },
        kiosk: { defaultLocale: 'fr', idleTimeoutMs: 'soon' },
        verify: { expiredPolicy: 'maybe' },
        auth: { users: [{ id: 'c1', role: 'boss', pinHash: '1234' }] },
      }),
    );
    const { streams, text } = io();
    const code = await main(['run', '--config', file], streams);
    expect(code).toBe(1);
    const { stderr } = text();
    expect(stderr).toContain('7 bad field(s)');
    expect(stderr).toMatch(/http\.port: got 70000; expected number to be <=65535/);
    expect(stderr).toMatch(/http\.hots: got "x"; no such field/);
    expect(stderr).toMatch(/kiosk\.defaultLocale: got "fr"; expected one of "zh-CN"\|"en"/);
    expect(stderr).toMatch(/kiosk\.idleTimeoutMs: got "soon"; expected number/);
    expect(stderr).toMatch(/verify\.expiredPolicy: got "maybe"/);
    expect(stderr).toMatch(/auth\.users\[0\]\.role: got "boss"/);
    expect(stderr).toMatch(/auth\.users\[0\]\.pinHash: got "1234"; expected scrypt/);
    expect(stderr).not.toContain('pinHash: got "scrypt');
  });

  it('invalid JSON and a missing --config are reported', async () => {
    const file = join(tmp.dir, 'broken.json');
    writeFileSync(file, '{ "http": ');
    const a = io();
    expect(await main(['run', '--config', file], a.streams)).toBe(1);
    expect(a.text().stderr).toMatch(/\(file\): got .*broken\.json.*; valid JSON/);
    const b = io();
    expect(await main(['run'], b.streams)).toBe(2);
    expect(b.text().stderr).toContain('--config FILE is required');
    const c = io();
    expect(await main(['run', '--config', join(tmp.dir, 'missing.json')], c.streams)).toBe(1);
    expect(c.text().stderr).toContain('cannot read config file');
  });

  it('a good config starts the terminal; it answers, and SIGTERM stops it cleanly', async () => {
    const port = await freePort();
    const file = join(tmp.dir, 'terminal.json');
    writeFileSync(
      file,
      JSON.stringify({
        dataDir: join(tmp.dir, 'data'),
        http: { host: '127.0.0.1', port },
        log: { level: 'warn' },
      }),
    );
    const child = spawn(process.execPath, ['bin/veriterm.js', 'run', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += String(c);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes('listening on')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: '69012340000000012345' }),
      });
      // No registry imported yet: nothing can be confirmed.
      expect(await res.json()).toMatchObject({
        status: 'ok',
        data: { verdict: 'unverifiable', reason: 'no_registry' },
      });
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
