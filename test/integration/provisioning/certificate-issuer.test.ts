import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkClientCert } from '../../../provisioning/doctor/local-checks.js';
import { mosquittoAcl } from '../../../upstream/broker-acl.js';
import { opensslCertificateIssuer } from '../../../upstream/enrolment-credentials.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { createTestPki, type TestPki } from '../../helpers/pki.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe.skipIf(!hasSystemTool('mosquitto') || !hasSystemTool('openssl'))('certificate credentials', () => {
  const tmp = makeTempDir('vt-cert-issuer-');
  let pki: TestPki;
  let broker: MosquittoBroker;

  beforeAll(async () => {
    pki = createTestPki(join(tmp.dir, 'pki'));
    broker = await startMosquitto({
      dir: tmp.dir,
      tls: { caFile: pki.caFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile },
      acl: mosquittoAcl(),
      persistence: false,
    });
  }, 30_000);
  afterAll(async () => {
    await broker?.stop();
    tmp.cleanup();
  });

  test('an issued client certificate logs in as {store}/{terminal} and is confined to its prefix', async () => {
    const issued = await opensslCertificateIssuer({ caFile: pki.caFile, caKeyFile: pki.caKeyFile }).issue({
      storeId: 'S9',
      terminalId: 'T9',
    });
    expect(issued.certPem).toContain('BEGIN CERTIFICATE');
    const dir = join(tmp.dir, 'terminal');
    mkdirSync(dir);
    writeFileSync(join(dir, 'client.crt'), issued.certPem!);
    writeFileSync(join(dir, 'client.key'), issued.keyPem!, { mode: 0o600 });
    const check = checkClientCert(join(dir, 'client.crt'), join(dir, 'client.key'), new Date());
    expect(check).toMatchObject({ level: 'ok' });
    expect(check.message).toContain('CN=S9/T9');

    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      ca: issued.caPem!,
      cert: issued.certPem!,
      key: issued.keyPem!,
      reconnectPeriod: 0,
    });
    try {
      await client.publishAsync('vt/S9/T9/status', 'online', { qos: 1 });
      // Another terminal's uplink: refused with MQTT 5 reason code 0x87 (not authorized).
      await expect(client.publishAsync('vt/S1/T1/records', 'forged', { qos: 1 })).rejects.toMatchObject({
        code: 0x87,
      });
    } finally {
      await client.endAsync();
    }
  }, 30_000);
});
