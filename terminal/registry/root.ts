import { z } from 'zod';
import { RegistryError } from './errors.js';
import { keyIdOf, type PublicKeyInfo, type SigningKey } from './keys.js';
import { requireThreshold, type Signed, signEnvelope } from './signed.js';

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s), {
  message: 'expected an ISO 8601 time',
});
const roleSchema = z.object({
  keyids: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1),
  threshold: z.number().int().min(1),
});
export const rootSignedSchema = z.object({
  _type: z.literal('veriterm-root'),
  specVersion: z.literal(1),
  version: z.number().int().min(1),
  expires: isoTime,
  keys: z.record(
    z.string(),
    z.object({ keytype: z.literal('ed25519'), public: z.string().regex(/^[A-Za-z0-9_-]{43}$/) }),
  ),
  roles: z.object({ root: roleSchema, release: roleSchema }),
});
export type RootSigned = z.infer<typeof rootSignedSchema>;
export type RootMetadata = Signed<RootSigned>;

export const envelopeSchema = z.object({
  signed: z.unknown(),
  signatures: z.array(z.object({ keyid: z.string(), sig: z.string() })),
});

/** Parses and shape-checks a root document; `malformed` names the first bad field. */
export function parseRoot(input: unknown): RootMetadata {
  const value = typeof input === 'string' ? safeJson(input, 'root metadata') : input;
  const envelope = envelopeSchema.safeParse(value);
  const signed = envelope.success ? rootSignedSchema.safeParse(envelope.data.signed) : undefined;
  if (!envelope.success || !signed?.success) {
    const issue = (envelope.success ? signed?.error : envelope.error)?.issues[0];
    throw new RegistryError(
      'malformed',
      `root metadata: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'not a root document'}`,
    );
  }
  for (const [keyid, key] of Object.entries(signed.data.keys)) {
    if (keyIdOf(key) !== keyid)
      throw new RegistryError('malformed', `root metadata: keyid ${keyid} does not match its key`);
  }
  for (const role of ['root', 'release'] as const) {
    const r = signed.data.roles[role];
    if (r.keyids.some((id) => !signed.data.keys[id])) {
      throw new RegistryError('malformed', `root metadata: role ${role} names a key not in "keys"`);
    }
    if (r.threshold > new Set(r.keyids).size) {
      throw new RegistryError(
        'malformed',
        `root metadata: role ${role} threshold ${r.threshold} exceeds its keys`,
      );
    }
  }
  // As received (zod drops unknown members; signatures cover the whole signed object).
  return { signed: envelope.data.signed as RootSigned, signatures: envelope.data.signatures };
}

export function safeJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RegistryError('malformed', `${what} is not valid JSON`);
  }
}

export interface RootOptions {
  /** Keys that sign root metadata (keep them offline). */
  rootKeys: readonly Pick<SigningKey, 'keyid' | 'publicKey'>[];
  /** Keys that sign releases. */
  releaseKeys: readonly Pick<SigningKey, 'keyid' | 'publicKey'>[];
  /** @default 1 */
  rootThreshold?: number;
  /** @default 1 */
  releaseThreshold?: number;
  /** ISO expiry. @default one year from now */
  expires?: string;
}

function rootBody(version: number, options: RootOptions): RootSigned {
  const keys: Record<string, PublicKeyInfo> = {};
  for (const k of [...options.rootKeys, ...options.releaseKeys]) keys[k.keyid] = k.publicKey;
  return {
    _type: 'veriterm-root',
    specVersion: 1,
    version,
    expires: options.expires ?? new Date(Date.now() + 365 * 86_400_000).toISOString(),
    keys,
    roles: {
      root: { keyids: options.rootKeys.map((k) => k.keyid), threshold: options.rootThreshold ?? 1 },
      release: { keyids: options.releaseKeys.map((k) => k.keyid), threshold: options.releaseThreshold ?? 1 },
    },
  };
}

/** Root version 1, signed by `signers` (a threshold of its own root keys). */
export function createRoot(options: RootOptions, signers: readonly SigningKey[]): RootMetadata {
  const root = signEnvelope(rootBody(1, options), signers);
  verifyRootStep(undefined, root, new Date(0));
  return root;
}

/**
 * Root N+1: must be signed by a threshold of root N's root keys and a threshold of its own
 * (TUF specification §5.3.4). `signers` may hold old and new keys together.
 */
export function rotateRoot(
  previous: RootMetadata,
  options: RootOptions,
  signers: readonly SigningKey[],
): RootMetadata {
  const next = signEnvelope(rootBody(previous.signed.version + 1, options), signers);
  verifyRootStep(previous, next, new Date(0));
  return next;
}

/**
 * Checks one step of the chain. With no `trusted` (pinning), the root must be signed by a
 * threshold of its own keys. Failures other than malformed input become `root_not_trusted`.
 */
export function verifyRootStep(trusted: RootMetadata | undefined, next: RootMetadata, _now: Date): void {
  try {
    if (trusted) {
      if (next.signed.version !== trusted.signed.version + 1) {
        throw new RegistryError(
          'root_not_trusted',
          `root version ${next.signed.version} does not follow trusted root version ${trusted.signed.version}`,
        );
      }
      requireThreshold(
        next,
        trusted.signed.keys,
        trusted.signed.roles.root,
        `root v${next.signed.version} (old keys)`,
      );
    }
    requireThreshold(
      next,
      next.signed.keys,
      next.signed.roles.root,
      `root v${next.signed.version} (own keys)`,
    );
  } catch (error) {
    if (error instanceof RegistryError && error.code !== 'malformed' && error.code !== 'root_not_trusted') {
      throw new RegistryError('root_not_trusted', `root not chained to the trusted root: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Walks `candidates` (any order, duplicates and old versions ignored) from `trusted` upward,
 * one version at a time. Returns the newest root reached; it must not be expired.
 */
export function verifyRootChain(
  trusted: RootMetadata,
  candidates: readonly RootMetadata[],
  now: Date,
): RootMetadata {
  let current = trusted;
  const byVersion = new Map<number, RootMetadata>();
  for (const c of candidates)
    if (c.signed.version > trusted.signed.version) byVersion.set(c.signed.version, c);
  for (;;) {
    const next = byVersion.get(current.signed.version + 1);
    if (!next) break;
    verifyRootStep(current, next, now);
    current = next;
  }
  if (Date.parse(current.signed.expires) <= now.getTime()) {
    throw new RegistryError(
      'expired',
      `root metadata v${current.signed.version} expired at ${current.signed.expires}`,
    );
  }
  return current;
}
