import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linkDemoUpstream } from '../../../cli/demo-link.js';
import { isLoopback, type RunningDemo, startDemo } from '../../../terminal/demo/start-demo.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { memoryLogger, until } from './harness.js';

describe('demo exposure: loopback by default, the network only when asked', () => {
  const tmp = makeTempDir('vt-demo-exposure-');
  const stops: (() => Promise<void>)[] = [];
  const savedHost = process.env.HOST;
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    if (savedHost === undefined) delete process.env.HOST;
    else process.env.HOST = savedHost;
  });

  const start = async (
    name: string,
    host?: string,
  ): Promise<{ demo: RunningDemo; lines: () => Record<string, unknown>[] }> => {
    const { logger, lines } = memoryLogger();
    const demo = await startDemo({
      logger,
      dataDir: join(tmp.dir, name),
      port: 0,
      buildUi: false,
      ...(host !== undefined ? { host } : {}),
    });
    stops.push(() => demo.stop());
    return { demo, lines };
  };

  it('binds 127.0.0.1 by default; the demo broker and upstream link log in and stay on loopback', async () => {
    delete process.env.HOST;
    const { demo, lines } = await start('default');
    const address = demo.terminal.app.server.address() as AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    expect(lines().some((l) => String(l.msg).includes('reachable from the network'))).toBe(false);
    const link = await linkDemoUpstream(demo, demo.terminal.logger);
    stops.push(() => link.stop());
    expect(link.brokerUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    await until(() => link.sync.status().link === 'up', 'demo terminal logged in to the demo broker');
    await until(() => link.upstream.upstream.connected(), 'demo upstream logged in');
  });

  it('HOST=0.0.0.0 exposes it, and says that the demo PINs are then reachable', async () => {
    process.env.HOST = '0.0.0.0';
    const { demo, lines } = await start('exposed');
    expect((demo.terminal.app.server.address() as AddressInfo).address).toBe('0.0.0.0');
    const warning = lines().find((l) => String(l.msg).includes('reachable from the network'));
    expect(warning).toMatchObject({ level: 40, host: '0.0.0.0' });
  });

  it('tells loopback addresses from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.org', '127.0.0.1.evil'])
      expect(isLoopback(host)).toBe(false);
  });
});
