import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../terminal/cli.js';
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
    expect(stderr).toMatch(/auth\.users\.0\.role: got "boss"/);
    expect(stderr).toMatch(/auth\.users\.0\.pinHash: got "1234"; expected scrypt/);
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
});
