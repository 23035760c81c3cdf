import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoAcl } from '../../../upstream/broker-acl.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, publicKeyPem, startTerminal, startUpstreamFor, terminalKeys, until } from './harness.js';

describe.skipIf(!hasSystemTool('mosquitto_passwd'))(
  'username/password per terminal (credentialsFile)',
  () => {
    const tmp = makeTempDir('vt-sync-password-');
    let broker: MosquittoBroker;
    beforeAll(async () => {
      const passwords = join(tmp.dir, 'passwords');
      writeFileSync(passwords, '');
      execFileSync('mosquitto_passwd', ['-b', passwords, 'store-a/t1', 'terminal-secret']);
      execFileSync('mosquitto_passwd', ['-b', passwords, 'upstream', 'upstream-secret']);
      broker = await startMosquitto({
        dir: tmp.dir,
        allowAnonymous: false,
        acl: mosquittoAcl(),
        extra: [`password_file ${passwords}`],
      });
    });
    afterAll(async () => {
      await broker?.stop();
      tmp.cleanup();
    });

    it('drains with the right password; a wrong password never gets a session', async () => {
      const keys = terminalKeys();
      const good = join(tmp.dir, 'broker.json');
      writeFileSync(good, JSON.stringify({ username: 'store-a/t1', password: 'terminal-secret' }), {
        mode: 0o600,
      });
      const bad = join(tmp.dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ username: 'store-a/t1', password: 'guess' }), { mode: 0o600 });

      const up = startUpstreamFor(join(tmp.dir, 'up'), {
        brokerUrl: broker.url,
        username: 'upstream',
        password: 'upstream-secret',
      });
      up.upstream.store.enrol('store-a', 't1', publicKeyPem(keys.publicKey));
      await up.upstream.start();

      const intruder = startTerminal(join(tmp.dir, 'intruder'), {
        brokerUrl: broker.url,
        storeId: 'store-a',
        terminalId: 't1',
        clientId: 'intruder',
        credentialsFile: bad,
      });
      const refused = new Promise<string>((resolve) => intruder.sync.events.once('disconnected', resolve));
      await intruder.sync.start();
      expect(await refused).toMatch(/not authori[sz]ed|bad user name or password|Connection refused/i);
      expect(intruder.sync.status().link).toBe('down');
      await intruder.sync.stop();

      const t = startTerminal(
        join(tmp.dir, 't1'),
        { brokerUrl: broker.url, storeId: 'store-a', terminalId: 't1', credentialsFile: good },
        { keys },
      );
      appendMany(t.ledger, 20);
      await t.sync.start();
      await until(() => t.ledger.stats().pending === 0, 'drained with password auth');
      expect(up.upstream.store.sequences('store-a', 't1')).toHaveLength(20);
      await t.sync.stop();
      await up.upstream.stop();
    });
  },
);
