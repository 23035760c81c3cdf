import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { publicKeyPem, startUpstreamFor, terminalKeys, until } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));

describe.skipIf(!hasSystemTool('mosquitto'))('terminal process SIGKILLed mid-drain', () => {
  const tmp = makeTempDir('vt-sync-kill-');
  let broker: MosquittoBroker;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    broker = await startMosquitto({ dir: tmp.dir });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await broker?.stop();
    tmp.cleanup();
  });

  it('the next process resends what was not acknowledged; upstream holds each record once, in order', {
    timeout: 120_000,
  }, async () => {
    const total = 2000;
    const keys = terminalKeys();
    const dir = join(tmp.dir, 't1');
    mkdirSync(dir, { recursive: true });
    const db = openDatabase(join(dir, 'terminal.db'));
    const ledger = new Ledger({
      db,
      identity: identityFromPrivateKey(keys.privateKey),
      storeId: 'store-a',
      terminalId: 't1',
    });
    ledger.transaction(() => {
      for (let i = 0; i < total; i++) ledger.append('receipt_printed', { i });
    });

    const up = startUpstreamFor(join(tmp.dir, 'up'), { brokerUrl: broker.url });
    up.upstream.store.enrol('store-a', 't1', publicKeyPem(keys.publicKey));
    await up.upstream.start();

    const startChild = () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(here, 'terminal-child.ts'), dir, broker.url, 'store-a', 't1'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: {
            ...process.env,
            VT_TERMINAL_KEY: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
          },
        },
      );
      children.push(child);
      let acked = 0;
      child.stdout!.on('data', (d: Buffer) => {
        for (const m of d.toString().matchAll(/acked (\d+)/g)) acked = Math.max(acked, Number(m[1]));
      });
      return { child, acked: () => acked };
    };

    for (const killAt of [400, 1200]) {
      const run = startChild();
      await until(() => run.acked() >= killAt, `child drained past ${killAt}`, 30_000);
      run.child.kill('SIGKILL'); // no goodbye: in-flight batches and unpersisted acks are lost with it
      await once(run.child, 'exit');
      expect(ledger.stats().pending).toBeGreaterThan(0);
    }
    const last = startChild();
    await until(() => ledger.stats().pending === 0, 'everything acknowledged after two kills', 30_000);
    last.child.kill('SIGKILL');
    await once(last.child, 'exit');

    const seqs = up.upstream.store.sequences('store-a', 't1');
    expect(seqs).toHaveLength(total);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
    expect(ledger.verifyChain().ok).toBe(true);
    await up.upstream.stop();
    db.close();
  });
});
