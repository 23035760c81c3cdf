import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signCommand } from '../../../terminal/sync/command-signing.js';
import type { CommandResult } from '../../../terminal/sync/protocol.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { publicKeyPem, startTerminal, startUpstreamFor, type TerminalHandle, until } from './harness.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

function subOnce(port: number, topic: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'mosquitto_sub',
      ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-C', '1', '-W', '10'],
      (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
    );
  });
}

describe.skipIf(!hasSystemTool('mosquitto'))('downlink: signed commands and hostile messages', () => {
  const tmp = makeTempDir('vt-sync-downlink-');
  const commandKey = generateKeyPairSync('ed25519');
  let broker: MosquittoBroker;
  let proxy: TcpProxy;
  let t: TerminalHandle;
  let up: ReturnType<typeof startUpstreamFor>;
  const results: CommandResult[] = [];
  let reloads = 0;

  beforeAll(async () => {
    // As provisioning writes it: the upstream command keys in a file next to the config.
    const keysFile = join(tmp.dir, 'upstream-keys.json');
    writeFileSync(keysFile, JSON.stringify({ commandKeys: [publicKeyPem(commandKey.publicKey)] }));
    broker = await startMosquitto({ dir: tmp.dir });
    proxy = await startTcpProxy(broker.port);
    up = startUpstreamFor(
      join(tmp.dir, 'up'),
      { brokerUrl: broker.url },
      { commandKey: commandKey.privateKey },
    );
    up.upstream.events.on('commandResult', (r) => results.push(r));
    await up.upstream.start();
    t = startTerminal(
      join(tmp.dir, 't1'),
      {
        brokerUrl: proxy.url,
        storeId: 'store-a',
        terminalId: 't1',
        maxDownlinkBytes: 64 * 1024,
        commandKeysFile: keysFile,
        registry: { scopes: ['cn'] },
      },
      {
        registry: { currentVersion: () => undefined, apply: async () => ({ ok: true }) },
        deps: {
          onReloadConfig: () => {
            reloads++;
            return { reloaded: true };
          },
          collectLogs: (args) => ({ lines: [`last ${String(args.lines)} lines`] }),
          healthReport: () => ({ level: 'warn', items: [{ component: 'printer:p1', reason: 'Paper low' }] }),
        },
      },
    );
    await t.sync.start();
    await until(() => t.sync.status().link === 'up' && up.upstream.connected(), 'both connected');
  });
  afterAll(async () => {
    await t?.sync.stop();
    await up?.upstream.stop();
    await proxy?.close();
    await broker?.stop();
    tmp.cleanup();
  });

  const refusals = (code: string) =>
    t.logLines().filter((l) => l.code === code && String(l.msg).startsWith('downlink message refused'));

  it('runs a signed command once and publishes its result; rebirth republishes the retained status', async () => {
    const published = new Promise((resolve) => t.sync.events.once('statusPublished', resolve));
    const result = await up.upstream.sendCommand(
      { storeId: 'store-a', terminalId: 't1' },
      'rebirth',
      {},
      { timeoutMs: 10_000 },
    );
    expect(result.result).toEqual({ status: 'ok', data: { republished: true } });
    await published;
    const sync = await up.upstream.sendCommand(
      { storeId: 'store-a', terminalId: 't1' },
      'sync_now',
      {},
      { timeoutMs: 10_000 },
    );
    expect(sync.result.status).toBe('ok');
    const reload = await up.upstream.sendCommand(
      { storeId: 'store-a', terminalId: 't1' },
      'reload_config',
      {},
      { timeoutMs: 10_000 },
    );
    expect(reload.result).toEqual({ status: 'ok', data: { reloaded: true } });
    expect(reloads).toBe(1);
    const logs = await up.upstream.sendCommand(
      { storeId: 'store-a', terminalId: 't1' },
      'request_logs',
      { lines: 50 },
      { timeoutMs: 10_000 },
    );
    expect(logs.result).toEqual({ status: 'ok', data: { lines: ['last 50 lines'] } });
    // A health request over MQTT is answered with the full report, details included.
    const health = await up.upstream.sendCommand(
      { storeId: 'store-a', terminalId: 't1' },
      'health',
      {},
      { timeoutMs: 10_000 },
    );
    expect(health.result).toEqual({
      status: 'ok',
      data: { level: 'warn', items: [{ component: 'printer:p1', reason: 'Paper low' }] },
    });
  });

  it('refuses unsigned, badly signed, expired, misaddressed and replayed commands, with a log line and an error result', async () => {
    const target = { storeId: 'store-a', terminalId: 't1' };
    const cmdTopic = 'vt/store-a/t1/cmd';
    const signed = up.upstream.buildCommand(target, 'sync_now');
    const { sig: _sig, ...unsigned } = up.upstream.buildCommand(target, 'sync_now');
    const rogue = generateKeyPairSync('ed25519');
    const forged = signCommand({ ...unsigned, id: 'forged-command-1' }, rogue.privateKey);
    const past = new Date(Date.now() - 3_600_000);
    const expired = signCommand(
      {
        ...unsigned,
        id: 'expired-command-1',
        issuedAt: past.toISOString(),
        expiresAt: new Date(past.getTime() + 60_000).toISOString(),
      },
      commandKey.privateKey,
    );
    const elsewhere = up.upstream.buildCommand({ storeId: 'store-b', terminalId: 't1' }, 'sync_now');

    await up.upstream.publishRaw(cmdTopic, JSON.stringify(unsigned));
    await up.upstream.publishRaw(cmdTopic, JSON.stringify(forged));
    await up.upstream.publishRaw(cmdTopic, JSON.stringify(expired));
    await up.upstream.publishRaw(cmdTopic, JSON.stringify(elsewhere));
    await up.upstream.publishRaw(cmdTopic, JSON.stringify(signed));
    await until(() => results.some((r) => r.id === signed.id), 'the valid command ran');
    await up.upstream.publishRaw(cmdTopic, JSON.stringify(signed)); // replay
    await until(() => refusals('replayed').length === 1, 'replay refused');

    expect(refusals('unsigned')).toHaveLength(1);
    expect(refusals('bad_signature')).toHaveLength(1);
    expect(refusals('expired')).toHaveLength(1);
    expect(refusals('wrong_target')).toHaveLength(1);
    await until(
      () => results.filter((r) => r.result.status === 'error').length >= 5,
      'error results published',
    );
    const codes = results
      .filter((r) => r.result.status === 'error')
      .map((r) => (r.result as { error: { code: string } }).error.code);
    expect(codes).toEqual(
      expect.arrayContaining(['unsigned', 'bad_signature', 'expired', 'wrong_target', 'replayed']),
    );
    expect(results.filter((r) => r.id === signed.id && r.result.status === 'ok')).toHaveLength(1);
  });

  it('refuses malformed and oversized downlink messages without crashing', async () => {
    const garbage: [string, Buffer | string][] = [
      ['vt/store-a/t1/cmd', 'not json {'],
      ['vt/store-a/t1/cmd', Buffer.from([0x78, 0x9c, 0xff, 0x00, 0x13])], // a corrupt zlib stream
      ['vt/store-a/t1/acks', JSON.stringify({ v: 1, ackSeq: -4 })],
      ['vt/store-a/t1/acks', '[]'],
      ['vt/store-a/t1/cmd', Buffer.alloc(200 * 1024, 0x7b)],
      ['vt/registry/cn/manifest', JSON.stringify({ v: 1, scope: 'cn', version: 'latest' })],
      ['vt/store-a/t1/registry/res', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2])],
    ];
    for (const [topic, payload] of garbage) await up.upstream.publishRaw(topic, payload);
    await until(() => refusals('oversized').length === 1, 'oversized refused');
    await until(() => refusals('malformed').length >= 5, 'malformed refused');
    // Still alive and serving: a valid command runs.
    const after = await up.upstream.sendCommand(
      { storeId: 'store-a', terminalId: 't1' },
      'sync_now',
      {},
      { timeoutMs: 10_000 },
    );
    expect(after.result.status).toBe('ok');
    expect(t.sync.status().lastAckedSeq).toBe(0);
  });

  it('a lost link leaves the retained last will "offline"; the terminal republishes "online" when back', async () => {
    proxy.cut();
    await until(
      async () => JSON.parse(await subOnce(broker.port, 'vt/store-a/t1/status')).state === 'offline',
      'will published',
    );
    proxy.restore();
    await until(
      async () => JSON.parse(await subOnce(broker.port, 'vt/store-a/t1/status')).state === 'online',
      'online again',
    );
  });
});
