import { basename } from 'node:path';
import { openDatabase } from '../db/open-database.js';
import { VeritermError } from '../errors.js';
import { DeltaApplier } from './apply-delta.js';
import { batchLine, escapeField, productLine, unitLine } from './body-format.js';
import { RegistryError } from './errors.js';
import { readState, writeState } from './import.js';
import type { SigningKey } from './keys.js';
import { type ManifestSigned, parseManifest } from './manifest.js';
import type { RegistryStore } from './store.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit } from './types.js';
import {
  BodyStream,
  bodyFileFor,
  type ReleaseFiles,
  type ReleaseHeader,
  rootVersionOf,
  SnapshotWriter,
  type WriterOptions,
  writeManifest,
} from './writer.js';

type Many<T> = Iterable<T> | AsyncIterable<T>;

export interface SnapshotInput extends ReleaseHeader {
  products: Many<RegistryProduct>;
  batches: Many<RegistryBatch>;
  /** Arrays are sorted for you; other iterables must already be in ascending key order. */
  units: Many<RegistryUnit>;
}

export interface BuildOptions {
  /** Root metadata to ship in the manifest (newest last) so terminals can follow rotations. */
  roots?: WriterOptions['roots'];
  /** zlib level. @default 6 */
  level?: number;
}

const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const batchId = (b: RegistryBatch) => `${b.productKey}\t${b.number}`;
const byBatch = (a: RegistryBatch, b: RegistryBatch) =>
  batchId(a) < batchId(b) ? -1 : batchId(a) > batchId(b) ? 1 : 0;

/**
 * Writes a signed snapshot: `outFile` (the manifest, e.g. `release-7.manifest.json`) and its body
 * (`release-7.body.z`) next to it. Streams: with iterables, memory stays flat for any size.
 */
export async function buildSnapshot(
  input: SnapshotInput,
  signingKeys: readonly SigningKey[],
  outFile: string,
  options: BuildOptions = {},
): Promise<ReleaseFiles> {
  const writer = new SnapshotWriter(outFile, input, { signingKeys, ...options });
  const products = Array.isArray(input.products) ? [...input.products].sort(byKey) : input.products;
  const batches = Array.isArray(input.batches) ? [...input.batches].sort(byBatch) : input.batches;
  const units = Array.isArray(input.units) ? [...input.units].sort(byKey) : input.units;
  for await (const p of products) await writer.product(p);
  for await (const b of batches) await writer.batch(b);
  for await (const u of units) await writer.unit(u);
  return writer.finish();
}

export interface DeltaInput extends Omit<ReleaseHeader, 'version'> {
  /** The registry the delta applies onto (the publisher's own copy): a store or its DB file. */
  base: RegistryStore | string;
  /** @default base version + 1 */
  version?: number;
  upsert?: { products?: Many<RegistryProduct>; batches?: Many<RegistryBatch>; units?: Many<RegistryUnit> };
  delete?: {
    products?: Many<string>;
    batches?: Many<{ productKey: string; number: string }>;
    units?: Many<string>;
  };
  /**
   * Keep the applied delta in `base` and record it as installed (the state `importRelease` of
   * this delta would commit; the stored root and trust are left as they are), instead of rolling
   * it back: a publisher advancing its own copy applies each delta once. @default false
   */
  commit?: boolean;
}

/**
 * Writes a signed delta from the base registry's current version. The resulting content hash
 * is computed by applying the delta to the base inside a transaction (the same code path a
 * terminal runs, so publisher and terminal agree by construction), which is rolled back, or
 * committed with `commit` once the files are written.
 */
export async function buildDelta(
  input: DeltaInput,
  signingKeys: readonly SigningKey[],
  outFile: string,
  options: BuildOptions = {},
): Promise<ReleaseFiles> {
  const db = openDatabase(typeof input.base === 'string' ? input.base : input.base.file);
  let body: BodyStream | undefined;
  let written = false;
  try {
    db.exec('BEGIN IMMEDIATE');
    const base = readState(db);
    if (!base) throw new VeritermError('bad_input', 'the base registry is empty: build a snapshot first');
    if (base.scope !== input.scope)
      throw new VeritermError('bad_input', `base scope is ${base.scope}, not ${input.scope}`);
    const version = input.version ?? base.version + 1;
    if (version <= base.version)
      throw new VeritermError('bad_input', `delta version ${version} must exceed base ${base.version}`);
    const applier = new DeltaApplier(db, base);
    const out = new BodyStream(bodyFileFor(outFile), options.level);
    body = out;
    const emit = async (line: string, type: string) => {
      try {
        applier.line(line);
      } catch (error) {
        if (error instanceof RegistryError)
          throw new VeritermError('bad_input', error.message, { cause: error });
        throw error;
      }
      await out.line(line, type);
    };
    for await (const p of input.upsert?.products ?? []) await emit(productLine(p), 'P');
    for await (const b of input.upsert?.batches ?? []) await emit(batchLine(b), 'B');
    for await (const u of input.upsert?.units ?? []) await emit(unitLine(u), 'U');
    for await (const k of input.delete?.units ?? []) await emit(`-U\t${k}`, '-U');
    for await (const b of input.delete?.batches ?? [])
      await emit(`-B\t${b.productKey}\t${escapeField(b.number)}`, '-B');
    for await (const k of input.delete?.products ?? []) await emit(`-P\t${k}`, '-P');
    let totals: ReturnType<DeltaApplier['finish']>;
    try {
      totals = applier.finish();
    } catch (error) {
      if (error instanceof RegistryError)
        throw new VeritermError('bad_input', error.message, { cause: error });
      throw error;
    }
    const files = await out.finish();
    written = true;
    const signed: ManifestSigned = {
      _type: 'veriterm-release',
      specVersion: 1,
      scope: input.scope,
      version,
      kind: 'delta',
      baseVersion: base.version,
      created: input.created ?? new Date().toISOString(),
      expires: input.expires,
      rootVersion: rootVersionOf(input as ReleaseHeader, { signingKeys, ...options }),
      body: { file: basename(out.bodyFile), compression: 'deflate', ...files },
      content: totals,
      records: out.records,
    };
    const manifest = writeManifest(outFile, signed, { signingKeys, ...options });
    if (input.commit) {
      // Stored as an import stores it: the manifest as parsed (schema key order), its signatures.
      writeState(db, parseManifest(manifest), totals, new Date());
      db.exec('COMMIT');
    }
    return { manifestFile: outFile, bodyFile: out.bodyFile, manifest };
  } finally {
    if (body && !written) await body.abort();
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  }
}
