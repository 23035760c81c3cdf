import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { PROTOCOL_VERSION } from '../../../terminal/sync/protocol.js';
import { RequestClient } from '../../../terminal/sync/request-client.js';
import { terminalTopics } from '../../../terminal/sync/topics.js';
import { IngestStore } from '../../../upstream/ingest-store.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, publicKeyPem, startTerminal, until } from '../sync/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const RESTARTS = 5;
/** The terminal's default registry request timeout (terminal/sync/options.ts registry.requestTimeoutMs). */
const REQUEST_TIMEOUT_MS = 10_000;

/** One upstream process, loaded but not connected until `start()` (see upstream-child.ts). */
async function loadUpstreamProcess(dataDir: string, brokerUrl: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'upstream-child.ts'), dataDir, brokerUrl],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = () => {
    if (child.exitCode !== null) throw new Error(`upstream process exited with ${child.exitCode}:\n${out}`);
  };
  await until(() => out.includes('loaded') || child.exitCode !== null, 'upstream process loaded', 60_000);
  exited();
  return {
    child,
    /** Connects; resolves with the client id it connected as. */
    async start(): Promise<string | undefined> {
      child.stdin?.write('start\n');
      await until(() => out.includes('connected') || child.exitCode !== null, 'upstream process connected');
      exited();
      return /connected (\S+)/.exec(out)?.[1];
    },
  };
}

function stopProcess(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe.skipIf(!hasSystemTool('mosquitto'))('upstream restarted during traffic (stable client id)', () => {
  const tmp = makeTempDir('vt-upstream-restarts-');
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir });
  });
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  it(`${RESTARTS} restarts while a terminal sends records and registry requests: every record acked, every request answered in time`, async () => {
    const keys = generateKeyPairSync('ed25519');
    const dataDir = join(tmp.dir, 'up');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(
      join(dataDir, 'terminals.json'),
      JSON.stringify([{ storeId: 's1', terminalId: 't1', publicKey: publicKeyPem(keys.publicKey) }]),
    );
    const t = startTerminal(
      join(tmp.dir, 't1'),
      {
        brokerUrl: broker.url,
        storeId: 's1',
        terminalId: 't1',
        protocol: '5',
        drain: { maxBatchRecords: 20 },
      },
      { keys },
    );
    await t.sync.start();

    // Registry requests as the terminal makes them (MQTT 5 request/response on its own topics).
    const topics = terminalTopics('s1', 't1');
    const requester = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: 'vt-s1-t1-requests',
    });
    const requests = new RequestClient(
      (payload, correlation) =>
        requester
          .publishAsync(topics.registryRequest, payload, {
            qos: 1,
            properties: { responseTopic: topics.registryResponse, correlationData: Buffer.from(correlation) },
          })
          .then(() => undefined),
      topics.registryResponse,
    );
    requester.on('message', (_topic, payload) => requests.onResponse(payload));
    await requester.subscribeAsync(topics.registryResponse, { qos: 1 });
    const answered: number[] = [];
    const failures: string[] = [];
    let requesting = true;
    const t0 = Date.now();
    const downtimes: string[] = [];
    let up = await loadUpstreamProcess(dataDir, broker.url);
    const clientIds = new Set([await up.start()]);
    // Requests from now on: before upstream's first connection its session does not exist yet,
    // and a broker drops messages no subscription matches.
    const requestLoop = (async () => {
      while (requesting) {
        const sent = Date.now();
        try {
          await requests.request(
            { v: PROTOCOL_VERSION, op: 'announcement', scope: 'cn' },
            REQUEST_TIMEOUT_MS,
          );
          answered.push(Date.now() - sent);
        } catch (error) {
          failures.push(`${(error as Error).message} (sent at +${sent - t0} ms)`);
        }
      }
    })();

    let appended = 0;
    for (let restart = 1; restart <= RESTARTS; restart++) {
      appendMany(t.ledger, 50);
      appended += 50;
      const answeredBefore = answered.length;
      await until(
        () => answered.length > answeredBefore + 2,
        'registry requests answered before the restart',
      );
      const next = await loadUpstreamProcess(dataDir, broker.url);
      const down = Date.now();
      expect(await stopProcess(up.child)).toBe(0);
      appendMany(t.ledger, 50); // while upstream is down
      appended += 50;
      up = next;
      clientIds.add(await up.start());
      downtimes.push(`down +${down - t0}..+${Date.now() - t0}`);
    }
    await until(() => t.ledger.stats().pending === 0, 'every record acknowledged', 60_000);
    const answeredAfter = answered.length;
    await until(
      () => answered.length > answeredAfter + 5,
      'registry requests answered after the last restart',
    );
    requesting = false;
    await requestLoop;

    expect(clientIds.size).toBe(1);
    expect(failures, downtimes.join('; ')).toEqual([]);
    expect(Math.max(...answered)).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(t.ledger.stats().lastAckedSeq).toBe(appended);
    await requester.endAsync();
    await t.sync.stop();
    expect(await stopProcess(up.child)).toBe(0);
    const db = openDatabase(join(dataDir, 'upstream.db'));
    try {
      expect(new IngestStore(db).sequences('s1', 't1')).toEqual(
        Array.from({ length: appended }, (_, i) => i + 1),
      );
    } finally {
      db.close();
    }
  }, 180_000);
});
