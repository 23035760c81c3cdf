import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../terminal/registry/canonical-json.js';

/**
 * Enrolment wire protocol shared by the reference upstream (upstream/enrolment-service.ts) and
 * the technician's `veriterm provision` (provisioning/enrol-client.ts).
 *
 * The technician types a short one-time code that upstream printed. The code never crosses the
 * network: the request carries HMAC(code, transcript) so upstream can find the code, and the
 * answer (broker credentials, registry root) is encrypted with AES-256-GCM under a key derived by
 * HKDF from an X25519 exchange salted with the code (RFC 5869, RFC 7748). Someone on the broker
 * without the code can neither read the credentials nor forge an answer. The registry root is
 * still confirmed out of band by its fingerprint, which the terminal computes itself.
 */
export const ENROL_PROTOCOL = 'veriterm-enrol-v1';

/** Request topic of one enrolling client: `vt/enrol/{clientId}/req` (ACL: `pattern write vt/enrol/%c/req`). */
export function enrolTopics(clientId: string): { request: string; response: string } {
  return { request: `vt/enrol/${clientId}/req`, response: `vt/enrol/${clientId}/res` };
}
/** What upstream subscribes to (shared by a group of workers when `group` is set; MQTT 5 §4.8.2). */
export function enrolSubscription(group: string | undefined): string {
  return group ? `$share/${group}/vt/enrol/+/req` : 'vt/enrol/+/req';
}

/** Crockford base32 without I, L, O, U: easy to read aloud and to type. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ENROL_CODE_LENGTH = 10;

/** A new one-time code, `XXXXX-XXXXX` (50 bits). */
export function newEnrolmentCode(): string {
  const bytes = randomBytes(ENROL_CODE_LENGTH);
  const chars = [...bytes].map((b) => ALPHABET[b & 31]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Canonical form of what the technician typed: upper case, no separators, O→0, I/L→1. Undefined when it cannot be a code. */
export function normalizeEnrolmentCode(input: string): string | undefined {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== ENROL_CODE_LENGTH) return undefined;
  return [...s].every((c) => ALPHABET.includes(c)) ? s : undefined;
}

/**
 * Fingerprint of a registry root: SHA-256 over the canonical JSON of the whole signed root
 * (body and signatures), first 20 bytes as ten groups of four hex digits. Upstream prints it
 * beside the code; the technician compares it with the one the terminal computed.
 */
export function rootFingerprint(root: unknown): string {
  const hex = createHash('sha256').update(canonicalJson(root)).digest('hex').slice(0, 40).toUpperCase();
  return hex.match(/.{4}/g)!.join(' ');
}

export const enrolRequestSchema = z.object({
  v: z.literal(1),
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  storeId: z.string().min(1).max(64),
  terminalId: z.string().min(1).max(64),
  /** Terminal's Ed25519 identity key, raw 32 bytes base64 (upstream verifies its records with it). */
  terminalPublicKey: z.string().min(40).max(64),
  role: z.enum(['kiosk', 'checkout']),
  /** X25519 SPKI DER, base64. */
  ephemeralPublicKey: z.string().min(40).max(200),
  /** hex HMAC-SHA256(code, transcript). */
  proof: z.string().regex(/^[0-9a-f]{64}$/),
});
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;

export const enrolErrorCodes = [
  'bad_code',
  'code_expired',
  'code_locked',
  'bad_request',
  'issue_failed',
] as const;
export type EnrolErrorCode = (typeof enrolErrorCodes)[number];

export const enrolResponseSchema = z.union([
  z.object({
    status: z.literal('ok'),
    data: z.object({
      ephemeralPublicKey: z.string(),
      iv: z.string(),
      ciphertext: z.string(),
      tag: z.string(),
    }),
  }),
  z.object({
    status: z.literal('error'),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
export type EnrolResponse = z.infer<typeof enrolResponseSchema>;

/** What the encrypted answer holds. */
export const enrolGrantSchema = z.object({
  storeId: z.string(),
  terminalId: z.string(),
  broker: z.object({
    /** URL terminals use (may differ from the enrolment URL). */
    url: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /** Client certificate and key (PEM) when the broker authenticates by certificate. */
    certPem: z.string().optional(),
    keyPem: z.string().optional(),
    /** CA that signed the broker's server certificate (pinned by the terminal). */
    caPem: z.string().optional(),
  }),
  registry: z.object({ scope: z.string(), root: z.unknown() }),
  /** Upstream command keys (Ed25519, SPKI PEM or raw base64) for terminal/sync `commands.publicKeys`. */
  commandKeys: z.array(z.string()).default([]),
});
export type EnrolGrant = z.infer<typeof enrolGrantSchema>;

type ProofFields = Pick<
  EnrolRequest,
  'nonce' | 'storeId' | 'terminalId' | 'terminalPublicKey' | 'role' | 'ephemeralPublicKey'
>;

function transcript(r: ProofFields): string {
  return [
    ENROL_PROTOCOL,
    r.nonce,
    r.storeId,
    r.terminalId,
    r.role,
    r.terminalPublicKey,
    r.ephemeralPublicKey,
  ].join('|');
}

export function enrolProof(code: string, fields: ProofFields): string {
  return createHmac('sha256', code).update(transcript(fields)).digest('hex');
}

export function proofMatches(code: string, request: EnrolRequest): boolean {
  const expected = Buffer.from(enrolProof(code, request), 'hex');
  return timingSafeEqual(expected, Buffer.from(request.proof, 'hex'));
}

export function newEphemeralKey(): { privateKey: KeyObject; publicKeyB64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKeyB64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

function sessionKey(privateKey: KeyObject, peerB64: string, code: string, nonce: string): Buffer {
  const peer = createPublicKey({ key: Buffer.from(peerB64, 'base64'), format: 'der', type: 'spki' });
  const shared = diffieHellman({ privateKey, publicKey: peer });
  return Buffer.from(
    hkdfSync('sha256', shared, Buffer.from(code), Buffer.from(`${ENROL_PROTOCOL}|${nonce}`), 32),
  );
}

/** Upstream side: encrypts a grant for the requester. */
export function sealGrant(request: EnrolRequest, code: string, grant: EnrolGrant): EnrolResponse {
  const eph = newEphemeralKey();
  const key = sessionKey(eph.privateKey, request.ephemeralPublicKey, code, request.nonce);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(request.nonce));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(grant)), cipher.final()]);
  return {
    status: 'ok',
    data: {
      ephemeralPublicKey: eph.publicKeyB64,
      iv: iv.toString('base64'),
      ciphertext: ciphertext.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
    },
  };
}

/** Terminal side: decrypts and shape-checks the grant; undefined when it was not sealed for us. */
export function openGrant(
  sealed: Extract<EnrolResponse, { status: 'ok' }>['data'],
  privateKey: KeyObject,
  code: string,
  nonce: string,
): EnrolGrant | undefined {
  try {
    const key = sessionKey(privateKey, sealed.ephemeralPublicKey, code, nonce);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(nonce));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const plain = Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]);
    const parsed = enrolGrantSchema.safeParse(JSON.parse(plain.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
