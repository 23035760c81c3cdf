import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface MosquittoOptions {
  /** Directory for the config, persistence file and log. */
  dir: string;
  port?: number;
  tls?: { caFile: string; certFile: string; keyFile: string; requireCertificate?: boolean };
  /** ACL file contents (mosquitto `acl_file`). */
  acl?: string;
  /** With TLS client certificates: the certificate CN becomes the username (for the ACL). @default true when tls */
  identityAsUsername?: boolean;
  /**
   * With TLS client certificates: the username (the certificate CN) replaces the client id, so a
   * certificate cannot take over another client's session (upstream/broker-acl.ts
   * mosquittoTerminalListener). @default false
   */
  usernameAsClientId?: boolean;
  /** @default true when no TLS client certificate is required */
  allowAnonymous?: boolean;
  /** Keep sessions and queued messages on disk across restarts. @default true */
  persistence?: boolean;
  /** Extra config lines. */
  extra?: string[];
}

export interface MosquittoBroker {
  port: number;
  url: string;
  /** Collected stderr/stdout of the current process (mosquitto logs there). */
  log(): string;
  /** SIGKILL: no goodbye, no persistence flush. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same config (after kill/stop). */
  restart(): Promise<void>;
}

function waitListening(
  port: number,
  child: ChildProcess,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`mosquitto exited with ${child.exitCode}:\n${log()}`));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`mosquitto did not listen on ${port}:\n${log()}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** Spawns mosquitto on a free loopback port with a generated config and waits until it accepts connections. */
export async function startMosquitto(options: MosquittoOptions): Promise<MosquittoBroker> {
  const port = options.port ?? (await freePort());
  const tls = options.tls;
  const lines = [
    'user root',
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${options.allowAnonymous ?? !(tls?.requireCertificate ?? false)}`,
    `persistence ${options.persistence ?? true}`,
    `persistence_location ${options.dir}/`,
    'persistence_file mosquitto.db',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'max_queued_messages 100000',
    'max_inflight_messages 0',
    'message_size_limit 0',
  ];
  if (tls) {
    lines.push(`cafile ${tls.caFile}`, `certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`);
    if (tls.requireCertificate ?? true) {
      lines.push(
        'require_certificate true',
        `use_identity_as_username ${options.identityAsUsername ?? true}`,
        `use_username_as_clientid ${options.usernameAsClientId ?? false}`,
      );
    }
  }
  if (options.acl !== undefined) {
    const aclFile = join(options.dir, 'acl');
    writeFileSync(aclFile, options.acl);
    lines.push(`acl_file ${aclFile}`);
  }
  lines.push(...(options.extra ?? []));
  const configFile = join(options.dir, `mosquitto-${port}.conf`);
  writeFileSync(configFile, `${lines.join('\n')}\n`);

  let child: ChildProcess;
  let output = '';
  const launch = async () => {
    output = '';
    child = spawn('mosquitto', ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitListening(port, child, 10_000, () => output);
  };
  const exit = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  await launch();
  return {
    port,
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    log: () => output,
    kill: () => exit('SIGKILL'),
    stop: () => exit('SIGTERM'),
    restart: launch,
  };
}
