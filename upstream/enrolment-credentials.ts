import { execFileSync } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminalUsername } from './broker-acl.js';
import type { EnrolGrant } from './enrolment-protocol.js';

/** Issues one terminal's broker credentials; what it returns goes into the encrypted grant. */
export interface CredentialIssuer {
  issue(target: { storeId: string; terminalId: string }): Promise<EnrolGrant['broker']>;
}

/**
 * A mosquitto `password_file` line in mosquitto 2.x's PBKDF2-SHA512 form
 * (`user:$7$iterations$salt$hash`, 12-byte salt, 64-byte hash: mosquitto's password_file.c).
 * Hashing here keeps the password off mosquitto_passwd's command line (visible in `ps`).
 */
export function mosquittoPasswordLine(username: string, password: string, iterations = 101): string {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `${username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * Password credentials for a mosquitto broker: a random 256-bit password per terminal, its hash
 * written into the broker's password file (atomically), then `reload()` (mosquitto re-reads its
 * password and ACL files on SIGHUP).
 */
export function mosquittoPasswordIssuer(options: {
  passwordFile: string;
  reload: () => void | Promise<void>;
  /** Broker URL terminals should use; @default the one the technician enrolled through */
  url?: string;
  /** PEM of the CA of the broker's server certificate, pinned by the terminal. */
  caPem?: string;
  /** Resolves once the broker accepts the new login (e.g. by connecting with it), so no terminal gets credentials the broker does not know yet. */
  confirm?: (username: string, password: string) => Promise<void>;
}): CredentialIssuer {
  return {
    async issue({ storeId, terminalId }) {
      const username = terminalUsername(storeId, terminalId);
      const password = randomBytes(32).toString('base64url');
      let lines: string[] = [];
      try {
        lines = readFileSync(options.passwordFile, 'utf8').split('\n').filter(Boolean);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      lines = lines.filter((l) => !l.startsWith(`${username}:`));
      lines.push(mosquittoPasswordLine(username, password));
      const temp = `${options.passwordFile}.${process.pid}.tmp`;
      const fd = openSync(temp, 'w', 0o600);
      try {
        writeSync(fd, `${lines.join('\n')}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, options.passwordFile);
      await options.reload();
      await options.confirm?.(username, password);
      return {
        username,
        password,
        ...(options.url ? { url: options.url } : {}),
        ...(options.caPem ? { caPem: options.caPem } : {}),
      };
    },
  };
}

/**
 * Client-certificate credentials: a fresh EC P-256 key and a certificate with CN
 * `{store}/{terminal}` (the broker's username with `use_identity_as_username`, broker-acl.ts), signed by the
 * broker's client CA with openssl.
 */
export function opensslCertificateIssuer(options: {
  caFile: string;
  caKeyFile: string;
  days?: number;
  url?: string;
  /** CA of the broker's server certificate. @default the client CA */
  serverCaPem?: string;
}): CredentialIssuer {
  return {
    async issue({ storeId, terminalId }) {
      const dir = mkdtempSync(join(tmpdir(), 'vt-enrol-'));
      try {
        const run = (args: string[]) =>
          execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
        run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem']);
        run([
          'req',
          '-new',
          '-key',
          'key.pem',
          '-subj',
          // openssl -subj separates fields with '/': the one inside the CN is escaped.
          `/CN=${terminalUsername(storeId, terminalId).replaceAll('/', '\\/')}`,
          '-out',
          'req.csr',
        ]);
        writeFileSync(join(dir, 'ext'), 'extendedKeyUsage=clientAuth\n');
        run([
          'x509',
          '-req',
          '-in',
          'req.csr',
          '-CA',
          options.caFile,
          '-CAkey',
          options.caKeyFile,
          '-CAcreateserial',
          '-days',
          String(options.days ?? 825),
          '-sha256',
          '-extfile',
          'ext',
          '-out',
          'cert.pem',
        ]);
        return {
          certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
          keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
          caPem: options.serverCaPem ?? readFileSync(options.caFile, 'utf8'),
          ...(options.url ? { url: options.url } : {}),
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
