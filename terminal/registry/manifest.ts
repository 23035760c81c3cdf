import { z } from 'zod';
import { RegistryError } from './errors.js';
import { envelopeSchema, parseRoot, type RootMetadata, safeJson } from './root.js';
import type { Signed } from './signed.js';

const isoTime = z.string().refine((s) => /^\d{4}-\d\d-\d\dT/.test(s) && !Number.isNaN(Date.parse(s)), {
  message: 'expected an ISO 8601 time',
});
const count = z.number().int().min(0);

export const manifestSignedSchema = z.object({
  _type: z.literal('veriterm-release'),
  specVersion: z.literal(1),
  scope: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  version: z.number().int().min(1),
  kind: z.enum(['snapshot', 'delta']),
  /** Delta only: the version this delta applies onto. */
  baseVersion: z.number().int().min(1).optional(),
  created: isoTime,
  expires: isoTime,
  /** Version of the root whose release keys signed this manifest. */
  rootVersion: z.number().int().min(1),
  body: z.object({
    /** File name of the body, relative to the manifest's directory. */
    file: z.string().regex(/^[A-Za-z0-9._-]+$/),
    compression: z.literal('deflate'),
    /** Bytes of the compressed body file. */
    length: count,
    /** Bytes after inflating. */
    rawLength: count,
    /** SHA-256 of the compressed body file, lowercase hex. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /** The registry content after applying this release. */
  content: z.object({
    hash: z.string().regex(/^[0-9a-f]{32}$/),
    products: count,
    batches: count,
    units: count,
  }),
  /** Records in the body, by type (`P`, `B`, `U`, `-P`, `-B`, `-U`). */
  records: z.record(z.string(), count),
});
export type ManifestSigned = z.infer<typeof manifestSignedSchema>;

/** A release manifest. `roots` carries root metadata newer than what terminals may have pinned. */
export interface ReleaseManifest extends Signed<ManifestSigned> {
  roots?: RootMetadata[];
}

/** Parses and shape-checks a manifest (JSON text or object); `malformed` names the bad field. */
export function parseManifest(input: unknown): ReleaseManifest {
  const value = typeof input === 'string' ? safeJson(input, 'manifest') : input;
  const envelope = envelopeSchema.extend({ roots: z.array(z.unknown()).optional() }).safeParse(value);
  if (!envelope.success)
    throw new RegistryError('malformed', 'manifest: not a signed veriterm release manifest');
  const signed = manifestSignedSchema.safeParse(envelope.data.signed);
  if (!signed.success) {
    const issue = signed.error.issues[0];
    throw new RegistryError('malformed', `manifest: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
  }
  const s = signed.data;
  if ((s.kind === 'delta') !== (s.baseVersion !== undefined)) {
    throw new RegistryError(
      'malformed',
      'manifest: baseVersion is required for a delta and only for a delta',
    );
  }
  if (s.kind === 'delta' && s.baseVersion! >= s.version) {
    throw new RegistryError(
      'malformed',
      `manifest: delta version ${s.version} must exceed its base ${s.baseVersion}`,
    );
  }
  // Keep the signed object exactly as received (zod drops unknown members): signatures cover
  // its canonical form, including fields a newer publisher may add.
  const manifest: ReleaseManifest = {
    signed: envelope.data.signed as ManifestSigned,
    signatures: envelope.data.signatures,
  };
  if (envelope.data.roots) manifest.roots = envelope.data.roots.map((r) => parseRoot(r));
  return manifest;
}
