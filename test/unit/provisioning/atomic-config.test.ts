import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { syncOptionsFromConfig } from '../../../provisioning/broker-credentials.js';
import { buildConfig } from '../../../provisioning/config-writer.js';
import { statePaths } from '../../../provisioning/state-paths.js';
import { writeFileAtomic } from '../../../terminal/db/atomic-write.js';
import { VeritermError } from '../../../terminal/errors.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const tmp = makeTempDir('vt-atomic-');
afterAll(() => tmp.cleanup());

const input = {
  storeId: 'S1',
  terminalId: 'T1',
  role: 'checkout' as const,
  httpPort: 8080,
  scanner: { type: 'serial', path: '/dev/serial/by-id/x' },
  printer: { transport: 'network', host: '10.0.0.5', port: 9100 },
  brokerUrl: 'mqtts://broker:8883',
  scope: 'cn',
  commandKeys: [],
  credentials: { password: true, clientCert: false, ca: true },
};

describe('atomic write and config', () => {
  test('writes with the mode, replaces whole, leaves no temp file', () => {
    const file = join(tmp.dir, 'a', 'config.json');
    writeFileAtomic(file, 'one', 0o600);
    writeFileAtomic(file, 'two', 0o600);
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(tmp.dir, 'a'))).toEqual(['config.json']);
  });

  test('a failed rename keeps the old content and removes the temp file', () => {
    const dir = join(tmp.dir, 'b');
    mkdirSync(join(dir, 'target', 'inner'), { recursive: true });
    writeFileSync(join(dir, 'target', 'inner', 'keep'), 'x');
    expect(() => writeFileAtomic(join(dir, 'target'), 'new')).toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
  });

  test('the config references state by path and holds no secret', () => {
    const paths = statePaths('/var/lib/veriterm');
    const config = buildConfig(input, paths) as unknown as {
      sync: Record<string, unknown>;
      scanners: { lane: string }[];
    };
    expect(config.sync.credentialsFile).toBe(paths.brokerCredentials);
    expect(config.sync.tls).toEqual({ caFile: paths.brokerCa });
    expect(config.scanners[0]!.lane).toBe('checkout');
    expect(JSON.stringify(config)).not.toMatch(/password"/);
  });

  test('bad device options are all reported before anything is written', () => {
    const bad = {
      ...input,
      scanner: { type: 'serial', baudRate: -1 },
      printer: { transport: 'network', host: '' },
    };
    try {
      buildConfig(bad, statePaths('/d'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(VeritermError);
      const msg = (error as Error).message;
      expect(msg).toContain('scanners.0.baudRate');
      expect(msg).toContain('scanners.0.path');
      expect(msg).toContain('printers.0.host');
    }
  });

  test('sync options merge the credentials file', () => {
    const creds = join(tmp.dir, 'broker.json');
    writeFileSync(creds, JSON.stringify({ username: 'vt-S1-T1', password: 'pw' }), { mode: 0o600 });
    expect(
      syncOptionsFromConfig({
        brokerUrl: 'mqtt://x',
        storeId: 'S1',
        terminalId: 'T1',
        credentialsFile: creds,
      }),
    ).toEqual({
      brokerUrl: 'mqtt://x',
      storeId: 'S1',
      terminalId: 'T1',
      username: 'vt-S1-T1',
      password: 'pw',
    });
    const keys = join(tmp.dir, 'upstream-keys.json');
    writeFileSync(keys, JSON.stringify({ commandKeys: ['K2'] }));
    expect(
      syncOptionsFromConfig({
        brokerUrl: 'mqtt://x',
        storeId: 'S1',
        terminalId: 'T1',
        commands: { publicKeys: ['K1'], maxClockSkewMs: 5 },
        commandKeysFile: keys,
      }),
    ).toEqual({
      brokerUrl: 'mqtt://x',
      storeId: 'S1',
      terminalId: 'T1',
      commands: { publicKeys: ['K1', 'K2'], maxClockSkewMs: 5 },
    });
    expect(() =>
      syncOptionsFromConfig({
        brokerUrl: 'mqtt://x',
        storeId: 'S1',
        terminalId: 'T1',
        credentialsFile: join(tmp.dir, 'nope'),
      }),
    ).toThrow(/re-run veriterm provision/);
  });
});
