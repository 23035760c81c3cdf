import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { requestEnrolment } from '../../../provisioning/enrol-client.js';
import { identityFromPrivateKey } from '../../../terminal/identity/index.js';
import { createDemoRegistry } from '../../../terminal/registry/index.js';
import { issueEnrolment } from '../../../upstream/enrolment-issue.js';
import { type StartedUpstream, startUpstream } from '../../../upstream/start-upstream.js';
import { freePort } from '../../helpers/free-port.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { appendMany, memoryLogger, startTerminal, type TerminalHandle, until } from '../sync/harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const GUIDE = join(root, 'docs', 'upstream-field-guide.md');

/** The guide's marked blocks (```lang title="name"), by name. */
function guideBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of readFileSync(GUIDE, 'utf8').matchAll(/```\w+ title="([^"]+)"\n([\s\S]*?)```/g))
    blocks.set(m[1]!, m[2]!);
  return blocks;
}

function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  return until(
    () =>
      new Promise<boolean>((resolve, reject) => {
        if (child.exitCode !== null) reject(new Error(`mosquitto exited with ${child.exitCode}:\n${log()}`));
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => {
          socket.destroy();
          resolve(false);
        });
      }),
    `mosquitto listening on ${port}`,
  ).then(() => undefined);
}

describe.skipIf(
  !hasSystemTool('mosquitto') || !hasSystemTool('mosquitto_passwd') || !hasSystemTool('openssl'),
)('docs/upstream-field-guide.md, followed', () => {
  const tmp = makeTempDir('vt-field-guide-');
  let mosquitto: ChildProcess | undefined;
  let up: StartedUpstream | undefined;
  let terminal: TerminalHandle | undefined;
  afterAll(async () => {
    await terminal?.sync.stop();
    await up?.stop();
    if (mosquitto && mosquitto.exitCode === null) {
      const exited = new Promise((resolve) => mosquitto!.once('exit', resolve));
      mosquitto.kill('SIGTERM');
      await exited;
    }
    tmp.cleanup();
  });

  it('its config blocks run a broker through which a terminal enrols with a one-time code and syncs', async () => {
    const blocks = guideBlocks();
    expect([...blocks.keys()].sort()).toEqual(['acl', 'enrolment.json', 'setup.sh', 'veriterm.conf']);
    const [terminalPort, enrolPort] = [await freePort(), await freePort()];
    const etc = join(tmp.dir, 'etc');
    const data = join(tmp.dir, 'upstream');
    const pidFile = join(tmp.dir, 'mosquitto.pid');
    const enrolPassword = 'guide-enrol-password';
    const upstreamPassword = 'guide-upstream-password';
    // The guide's host paths and ports, here; the broker binds loopback and is reached by IP.
    const fill = (text: string) =>
      text
        .replaceAll('/etc/mosquitto/veriterm', etc)
        .replaceAll('/var/lib/veriterm-upstream', data)
        .replaceAll('/run/mosquitto/mosquitto.pid', pidFile)
        .replaceAll('subjectAltName=DNS:broker.example', 'subjectAltName=DNS:localhost,IP:127.0.0.1')
        .replaceAll('broker.example', '127.0.0.1')
        .replaceAll('listener 8883', `listener ${terminalPort} 127.0.0.1`)
        .replaceAll('listener 8884', `listener ${enrolPort} 127.0.0.1`)
        .replaceAll(':8883', `:${terminalPort}`)
        .replaceAll(':8884', `:${enrolPort}`)
        .replaceAll('UPSTREAM-PASSWORD', upstreamPassword)
        .replaceAll('ENROL-PASSWORD', enrolPassword)
        .replace(/^veriterm /gm, `node ${join(root, 'bin', 'veriterm.js')} `);

    // setup.sh: CA, server and upstream certificates, the enrol account, the ACL from `veriterm upstream acl`.
    execFileSync('bash', ['-c', fill(blocks.get('setup.sh')!)], {
      env: { ...process.env, VERITERM_DEV: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The ACL shown in the guide is what the command writes.
    expect(readFileSync(join(etc, 'acl'), 'utf8').trim()).toBe(blocks.get('acl')!.trim());

    // Debian's mosquitto.conf (the lines the guide says it already has), then the guide's conf.d file.
    const conf = join(tmp.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        'user root',
        `pid_file ${pidFile}`,
        'persistence true',
        `persistence_location ${tmp.dir}/`,
        'log_dest stderr',
        fill(blocks.get('veriterm.conf')!),
      ].join('\n'),
    );
    let log = '';
    mosquitto = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    mosquitto.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    await waitForPort(terminalPort, mosquitto, () => log);
    await waitForPort(enrolPort, mosquitto, () => log);

    // The upstream data directory as section 3 lays it out.
    writeFileSync(join(data, 'enrolment.json'), fill(blocks.get('enrolment.json')!));
    const demo = await createDemoRegistry(join(tmp.dir, 'authoring'), { scope: 'cn' });
    mkdirSync(join(data, 'registry-keys'), { recursive: true });
    writeFileSync(join(data, 'registry-keys', 'root.json'), JSON.stringify(demo.root));
    copyFileSync(join(demo.dir, 'release.key'), join(data, 'registry-keys', 'release.key'));
    const snapshot = join(data, 'registry', 'cn', 'snapshot-1');
    mkdirSync(snapshot, { recursive: true });
    for (const f of [demo.manifestFile, demo.manifestFile.replace('.manifest.json', '.body.z')])
      copyFileSync(f, join(snapshot, basename(f)));
    // Section 3's `veriterm upstream run` (same options; in process, so the test can read its store).
    const upLog = memoryLogger();
    up = await startUpstream({
      dataDir: data,
      logger: upLog.logger,
      options: {
        brokerUrl: `mqtts://127.0.0.1:${enrolPort}`,
        username: 'upstream',
        password: upstreamPassword,
        tls: { caFile: join(data, 'ca', 'ca.crt') },
      },
    });
    await until(() => up!.upstream.connected(), 'upstream connected with its password');

    // The technician at the kiosk: the code upstream printed, the enrolment listener, the enrol account.
    const issued = issueEnrolment({
      dbFile: join(data, 'upstream.db'),
      rootFile: join(data, 'registry-keys', 'root.json'),
      storeId: 'S001',
      terminalId: 'K03',
      scope: 'cn',
    });
    const keys = generateKeyPairSync('ed25519');
    const grant = await until(
      () =>
        requestEnrolment({
          brokerUrl: `mqtts://127.0.0.1:${enrolPort}`,
          caFile: join(etc, 'ca.crt'),
          username: 'enrol',
          password: enrolPassword,
          code: issued.code,
          storeId: 'S001',
          terminalId: 'K03',
          role: 'kiosk',
          identity: identityFromPrivateKey(keys.privateKey),
          timeoutMs: 20_000,
        }),
      'enrolment answered',
      30_000,
    );
    expect(grant.broker.url).toBe(`mqtts://127.0.0.1:${terminalPort}`);
    expect(grant.broker.certPem).toContain('BEGIN CERTIFICATE');

    // The enrolled terminal syncs over the terminal listener with the issued certificate.
    const creds = join(tmp.dir, 'kiosk-credentials');
    mkdirSync(creds, { recursive: true });
    writeFileSync(join(creds, 'client.crt'), grant.broker.certPem!);
    writeFileSync(join(creds, 'client.key'), grant.broker.keyPem!, { mode: 0o600 });
    writeFileSync(join(creds, 'broker-ca.pem'), grant.broker.caPem!);
    terminal = startTerminal(
      join(tmp.dir, 'kiosk'),
      {
        brokerUrl: grant.broker.url!,
        storeId: 'S001',
        terminalId: 'K03',
        protocol: '5',
        tls: {
          caFile: join(creds, 'broker-ca.pem'),
          certFile: join(creds, 'client.crt'),
          keyFile: join(creds, 'client.key'),
        },
      },
      { keys },
    );
    appendMany(terminal.ledger, 25);
    await terminal.sync.start();
    await until(
      () => terminal!.ledger.stats().pending === 0,
      'records acknowledged through the guide broker',
    );
    expect(up.upstream.store.sequences('S001', 'K03')).toHaveLength(25);
    expect(up.upstream.store.alerts()).toEqual([]);
    await terminal.sync.stop();

    // Section 6: `veriterm upstream revoke`; the broker then refuses the certificate.
    const out = execFileSync(
      process.execPath,
      [
        join(root, 'bin', 'veriterm.js'),
        'upstream',
        'revoke',
        '--data',
        data,
        '--store',
        'S001',
        '--terminal',
        'K03',
      ],
      { env: { ...process.env, VERITERM_DEV: '1' }, encoding: 'utf8' },
    );
    expect(out).toMatch(/revoked store S001 terminal K03 at .*; broker: applied/);
    const kiosk = await mqtt.connectAsync(grant.broker.url!, {
      protocolVersion: 5,
      ca: grant.broker.caPem!,
      cert: grant.broker.certPem!,
      key: grant.broker.keyPem!,
      reconnectPeriod: 0,
    });
    try {
      await until(
        () =>
          kiosk.publishAsync('vt/S001/K03/records', 'after revocation', { qos: 1 }).then(
            () => false,
            (error: { code?: number }) => error.code === 0x87,
          ),
        'the broker refuses the revoked certificate',
      );
    } finally {
      await kiosk.endAsync();
    }
  }, 120_000);
});
