import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { UsageError, VeritermError } from '../../terminal/errors.js';
import {
  generateSigningKey,
  readPublicKey,
  readSigningKey,
  type SigningKey,
  writeSigningKey,
} from '../../terminal/registry/keys.js';
import { createRoot, parseRoot, rotateRoot } from '../../terminal/registry/root.js';
import { list, parseExpires, positiveInt, print, requireString, type Subcommand } from './common.js';

export const keygen: Subcommand = {
  name: 'keygen',
  usage: `Usage: veriterm registry keygen --out FILE [--public FILE]

Writes the private key (PKCS#8 PEM, mode 0600) to FILE and the public key to FILE.pub.json
(or --public). Refuses to overwrite. Prints the key id, never the key.`,
  options: { out: { type: 'string' }, public: { type: 'string' } },
  async run(values, _p, io) {
    const out = requireString(values, 'out', 'keygen');
    const pub = (values.public as string | undefined) ?? `${out.replace(/\.key$/, '')}.pub.json`;
    for (const f of [out, pub])
      if (existsSync(f)) throw new VeritermError('exists', `${f} exists; not overwriting a key`);
    const key = generateSigningKey();
    writeSigningKey(key, out, pub);
    print(io, `keyid ${key.keyid}\nprivate ${out} (0600)\npublic ${pub}`);
    return 0;
  },
};

function keyFiles(files: string[]): {
  pub: { keyid: string; publicKey: SigningKey['publicKey'] }[];
  signers: SigningKey[];
} {
  const pub = [];
  const signers: SigningKey[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (text.includes('PRIVATE KEY')) {
      const k = readSigningKey(f);
      signers.push(k);
      pub.push({ keyid: k.keyid, publicKey: k.publicKey });
    } else {
      const k = readPublicKey(f);
      pub.push({ keyid: k.keyid, publicKey: { keytype: k.keytype, public: k.public } });
    }
  }
  return { pub, signers };
}

const rootOptions = {
  'root-key': { type: 'string', multiple: true },
  'release-key': { type: 'string', multiple: true },
  'root-threshold': { type: 'string' },
  'release-threshold': { type: 'string' },
  expires: { type: 'string' },
  out: { type: 'string' },
} as const;

function rootInputs(values: Record<string, unknown>, command: string) {
  const rootFiles = list(values, 'root-key');
  const releaseFiles = list(values, 'release-key');
  if (rootFiles.length === 0 || releaseFiles.length === 0) {
    throw new UsageError(`veriterm registry ${command}: give at least one --root-key and one --release-key`);
  }
  const root = keyFiles(rootFiles);
  const release = keyFiles(releaseFiles);
  return {
    options: {
      rootKeys: root.pub,
      releaseKeys: release.pub,
      rootThreshold: positiveInt(values['root-threshold'], '--root-threshold', 1),
      releaseThreshold: positiveInt(values['release-threshold'], '--release-threshold', 1),
      expires: parseExpires(values.expires, '365d'),
    },
    signers: root.signers,
  };
}

function writeOut(file: string, value: unknown): void {
  if (existsSync(file)) throw new VeritermError('exists', `${file} exists; not overwriting`);
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

export const rootInit: Subcommand = {
  name: 'root init',
  usage: `Usage: veriterm registry root init --root-key FILE... --release-key FILE... --out root.json
         [--root-threshold N] [--release-threshold N] [--expires 365d|ISO]

--root-key: keys that sign root metadata (private key files: they sign this root).
--release-key: keys that sign releases (public .pub.json or private files).`,
  options: rootOptions,
  async run(values, _p, io) {
    const out = requireString(values, 'out', 'root init');
    const { options, signers } = rootInputs(values, 'root init');
    const root = createRoot(options, signers);
    writeOut(out, root);
    print(
      io,
      `root v1 written to ${out}: ${options.rootKeys.length} root key(s) (threshold ${options.rootThreshold}), ${options.releaseKeys.length} release key(s) (threshold ${options.releaseThreshold}), expires ${options.expires}`,
    );
    return 0;
  },
};

export const rootRotate: Subcommand = {
  name: 'root rotate',
  usage: `Usage: veriterm registry root rotate --root CURRENT.json --sign OLD_ROOT_KEY... --root-key FILE...
         --release-key FILE... --out NEXT.json [--root-threshold N] [--release-threshold N] [--expires 365d|ISO]

The new root needs signatures from a threshold of the current root keys (--sign, private) and a
threshold of its own root keys (--root-key, private where they must sign).`,
  options: { ...rootOptions, root: { type: 'string' }, sign: { type: 'string', multiple: true } },
  async run(values, _p, io) {
    const out = requireString(values, 'out', 'root rotate');
    const current = parseRoot(readFileSync(requireString(values, 'root', 'root rotate'), 'utf8'));
    const { options, signers } = rootInputs(values, 'root rotate');
    const old = list(values, 'sign').map((f) => readSigningKey(f));
    const next = rotateRoot(current, options, [...old, ...signers]);
    writeOut(out, next);
    print(io, `root v${next.signed.version} written to ${out} (chains from v${current.signed.version})`);
    return 0;
  },
};
