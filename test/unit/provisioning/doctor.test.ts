import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '../../../cli/main.js';
import { runDoctor } from '../../../provisioning/doctor/run-doctor.js';
import { createTerminalKey } from '../../../terminal/identity/index.js';
import { Ledger } from '../../../terminal/ledger/index.js';
import { createRoot, generateSigningKey, pinRoot } from '../../../terminal/registry/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const tmp = makeTempDir('vt-doctor-');
afterAll(() => tmp.cleanup());

function site(name: string, config: Record<string, unknown>) {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ dataDir: join(dir, 'data'), ...config }));
  return { dir, file, dataDir: join(dir, 'data') };
}

describe('veriterm doctor', () => {
  test('reports every bad config field at once and exits 1', async () => {
    const s = site('bad', { http: { port: 70000 }, kiosk: { hotline: '' }, nope: 1 });
    const checks = await runDoctor({ configFile: s.file, env: {} });
    expect(checks).toHaveLength(1);
    expect(checks[0]!.level).toBe('fail');
    expect(checks[0]!.message).toContain('3 bad field(s)');
    for (const field of ['http.port', 'kiosk.hotline', 'nope']) expect(checks[0]!.message).toContain(field);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => {
      text += d.toString();
    });
    expect(
      await main(['doctor', '--config', s.file], { stdout: out, stderr: out, stdin: new PassThrough() }),
    ).toBe(1);
    expect(text).toContain('FAIL  config');
    const json = new PassThrough();
    let body = '';
    json.on('data', (d: Buffer) => {
      body += d.toString();
    });
    expect(
      await main(['doctor', '--config', s.file, '--json'], {
        stdout: json,
        stderr: json,
        stdin: new PassThrough(),
      }),
    ).toBe(1);
    expect(JSON.parse(body)).toMatchObject({
      status: 'ok',
      data: { failed: 1, warned: 0, checks: [{ name: 'config', level: 'fail' }] },
    });
  });

  test('missing key, loose key permissions, no pinned root: FAIL with the remedy', async () => {
    const s = site('empty', {});
    let checks = await runDoctor({ configFile: s.file, env: {} });
    const by = (name: string) => checks.find((c) => c.name === name);
    expect(by('identity')).toMatchObject({ level: 'fail', remedy: 're-run veriterm provision' });
    expect(by('registry root')?.level).toBe('fail');
    expect(by('broker')?.level).toBe('warn');
    expect(by('disk')?.level).not.toBe('fail');
    const key = join(s.dataDir, 'identity', 'terminal-ed25519.pem');
    createTerminalKey(key);
    chmodSync(key, 0o644);
    checks = await runDoctor({ configFile: s.file, env: {} });
    expect(by('identity')).toMatchObject({ level: 'fail' });
    expect(by('identity')?.remedy).toContain('chmod 600');
  });

  test('a pinned root close to expiry warns; an expired root fails; no registry data warns', async () => {
    const s = site('root', {});
    createTerminalKey(join(s.dataDir, 'identity', 'terminal-ed25519.pem'));
    const k = generateSigningKey();
    const expires = new Date(Date.now() + 10 * 86_400_000).toISOString();
    expect(
      pinRoot(join(s.dataDir, 'registry.db'), createRoot({ rootKeys: [k], releaseKeys: [k], expires }, [k]))
        .ok,
    ).toBe(true);
    let checks = await runDoctor({ configFile: s.file, env: {} });
    expect(checks.find((c) => c.name === 'registry root')).toMatchObject({ level: 'warn' });
    expect(checks.find((c) => c.name === 'registry data')).toMatchObject({ level: 'warn' });
    expect(checks.find((c) => c.name === 'identity')?.level).toBe('ok');
    checks = await runDoctor({ configFile: s.file, env: {}, now: new Date(Date.now() + 11 * 86_400_000) });
    expect(checks.find((c) => c.name === 'registry root')).toMatchObject({ level: 'fail' });
    checks = await runDoctor({ configFile: s.file, env: {}, now: new Date('2001-01-01T00:00:00Z') });
    expect(checks.find((c) => c.name === 'clock')).toMatchObject({ level: 'fail' });
  });

  test('records waiting for upstream for over an hour warn', async () => {
    const s = site('outbox', {});
    const identity = createTerminalKey(join(s.dataDir, 'identity', 'terminal-ed25519.pem'));
    const ledger = new Ledger({
      file: join(s.dataDir, 'terminal.db'),
      identity,
      storeId: 'S-DEMO',
      terminalId: 'T-01',
      clock: () => new Date(Date.now() - 2 * 3_600_000),
    });
    ledger.append('alert', { kind: 'suspicious_report' });
    ledger.close();
    const checks = await runDoctor({ configFile: s.file, env: {} });
    expect(checks.find((c) => c.name === 'records')).toMatchObject({ level: 'warn' });
    expect(checks.find((c) => c.name === 'records')?.message).toContain('1 record(s) waiting');
  });

  test('a configured scanner that is not plugged in and an unreachable broker fail', async () => {
    const s = site('devices', {
      scanners: [{ type: 'serial', path: join(tmp.dir, 'gone') }],
      sync: { brokerUrl: 'mqtt://127.0.0.1:1', storeId: 'S', terminalId: 'T' },
    });
    const checks = await runDoctor({ configFile: s.file, env: {}, timeoutMs: 1000 });
    expect(checks.find((c) => c.name === 'scanner 1')).toMatchObject({ level: 'fail' });
    expect(checks.find((c) => c.name === 'broker')).toMatchObject({ level: 'fail' });
    expect(checks.find((c) => c.name === 'broker')?.message).toContain('cannot reach the broker');
  });
});
