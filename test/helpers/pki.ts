import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of one certificate and its key (PEM). */
export interface CertFiles {
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  dir: string;
  caFile: string;
  caKeyFile: string;
  server: CertFiles;
  /** Issues a client certificate with the given common name (the broker's username with use_identity_as_username). */
  client(commonName: string): CertFiles;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** EC P-256 keys: quick to generate, accepted by mosquitto and Node. */
function newKey(file: string, cwd: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file], cwd);
}

function makeCa(dir: string, name: string): { caFile: string; caKeyFile: string } {
  const caKeyFile = join(dir, `${name}.key`);
  const caFile = join(dir, `${name}.crt`);
  newKey(caKeyFile, dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      caKeyFile,
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-out',
      caFile,
    ],
    dir,
  );
  return { caFile, caKeyFile };
}

function issue(
  dir: string,
  ca: { caFile: string; caKeyFile: string },
  name: string,
  cn: string,
  server: boolean,
): CertFiles {
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  newKey(keyFile, dir);
  // openssl -subj separates fields with '/': one inside the CN ({store}/{terminal}) is escaped.
  openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${cn.replaceAll('/', '\\/')}`, '-out', csr], dir);
  writeFileSync(
    ext,
    server
      ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.caFile,
      '-CAkey',
      ca.caKeyFile,
      '-CAcreateserial',
      '-days',
      '2',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      certFile,
    ],
    dir,
  );
  return { certFile, keyFile };
}

/**
 * A throw-away PKI for broker tests: a CA, a server certificate for localhost/127.0.0.1 and
 * per-terminal client certificates issued on demand. Files are 0600-root; the test broker config
 * runs mosquitto as root (`user root`) so it can read them.
 */
export function createTestPki(dir: string, caName = 'veriterm-test-ca'): TestPki {
  mkdirSync(dir, { recursive: true });
  const ca = makeCa(dir, caName);
  const server = issue(dir, ca, 'server', 'localhost', true);
  let n = 0;
  return {
    dir,
    ...ca,
    server,
    client: (commonName) => issue(dir, ca, `client-${n++}`, commonName, false),
  };
}
