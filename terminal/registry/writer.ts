import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  createWriteStream,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { createDeflate } from 'node:zlib';
import { VeritermError } from '../errors.js';
import { batchLine, productKeysOfUnit, productLine, unitLine } from './body-format.js';
import { ContentHash } from './content-hash.js';
import type { SigningKey } from './keys.js';
import type { ManifestSigned, ReleaseManifest } from './manifest.js';
import type { RootMetadata } from './root.js';
import { signEnvelope } from './signed.js';
import type { RegistryBatch, RegistryProduct, RegistryUnit } from './types.js';

export interface ReleaseHeader {
  scope: string;
  version: number;
  /** ISO time after which terminals refuse this release and verdicts become `unverifiable`. */
  expires: string;
  /** ISO build time (the registry's "as of"). @default now */
  created?: string;
  /** Root version whose release keys sign. @default the last of `roots`, else 1 */
  rootVersion?: number;
}

export interface WriterOptions {
  signingKeys: readonly SigningKey[];
  /** Root metadata to ship inside the manifest so terminals can walk the chain. */
  roots?: readonly RootMetadata[];
  /** zlib level. @default 6 */
  level?: number;
}

export interface ReleaseFiles {
  manifestFile: string;
  bodyFile: string;
  manifest: ReleaseManifest;
}

/** Body file next to the manifest: `x.manifest.json` → `x.body.z`. */
export function bodyFileFor(manifestFile: string): string {
  const name = basename(manifestFile)
    .replace(/\.manifest\.json$/, '')
    .replace(/\.json$/, '');
  return join(dirname(manifestFile), `${name}.body.z`);
}

/**
 * Streams body lines through zlib into the body file while hashing the compressed bytes; at
 * `finish` writes and signs the manifest. Memory stays flat whatever the number of records.
 */
export class BodyStream {
  private readonly deflate;
  private readonly sha = createHash('sha256');
  private length = 0;
  private rawLength = 0;
  private pending: string[] = [];
  private pendingChars = 0;
  private readonly done: Promise<void>;
  private readonly out: ReturnType<typeof createWriteStream>;
  readonly records: Record<string, number> = {};

  constructor(
    readonly bodyFile: string,
    level = 6,
  ) {
    this.deflate = createDeflate({ level });
    const out = createWriteStream(`${bodyFile}.tmp`);
    this.out = out;
    this.deflate.on('data', (chunk: Buffer) => {
      this.sha.update(chunk);
      this.length += chunk.length;
      if (!out.write(chunk)) {
        this.deflate.pause();
        out.once('drain', () => this.deflate.resume());
      }
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.deflate.on('error', reject);
      out.on('error', reject);
      this.deflate.on('end', () => out.end());
      out.on('finish', () => resolve());
    });
  }

  async line(line: string, type: string): Promise<void> {
    this.records[type] = (this.records[type] ?? 0) + 1;
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    if (this.pendingChars >= 1 << 16) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(`${this.pending.join('\n')}\n`, 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    this.rawLength += buf.length;
    if (!this.deflate.write(buf)) await once(this.deflate, 'drain');
  }

  /**
   * Drops a body whose release failed half-way: closes the streams and deletes the temporary file,
   * so no write reaches a directory the caller removes next (ENOENT as an unhandled rejection).
   */
  async abort(): Promise<void> {
    this.done.catch(() => undefined); // the failure that made the caller abort is the one reported
    this.deflate.destroy();
    this.out.destroy();
    await finished(this.out).catch(() => undefined);
    rmSync(`${this.bodyFile}.tmp`, { force: true });
  }

  async finish(): Promise<{ length: number; rawLength: number; sha256: string }> {
    await this.flush();
    this.deflate.end();
    await this.done;
    const fd = openSync(`${this.bodyFile}.tmp`, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${this.bodyFile}.tmp`, this.bodyFile);
    return { length: this.length, rawLength: this.rawLength, sha256: this.sha.digest('hex') };
  }
}

/** Signs and writes the manifest (atomically: temp file, fsync, rename). */
export function writeManifest(
  manifestFile: string,
  signed: ManifestSigned,
  options: WriterOptions,
): ReleaseManifest {
  if (options.signingKeys.length === 0)
    throw new VeritermError('usage', 'at least one signing key is needed');
  const manifest: ReleaseManifest = signEnvelope(signed, options.signingKeys);
  if (options.roots && options.roots.length > 0) manifest.roots = [...options.roots];
  const temp = `${manifestFile}.tmp`;
  writeFileSync(temp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
  const fd = openSync(temp, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(temp, manifestFile);
  return manifest;
}

export function rootVersionOf(header: ReleaseHeader, options: WriterOptions): number {
  return header.rootVersion ?? options.roots?.at(-1)?.signed.version ?? 1;
}

/**
 * Streaming snapshot writer. Call `product` for every product (ascending key), then `batch`
 * (ascending product key, number), then `unit` (ascending key), then `finish`.
 */
export class SnapshotWriter {
  private readonly body: BodyStream;
  private readonly hash = new ContentHash();
  private readonly products = new Set<string>();
  private readonly batches = new Set<string>();
  private phase = 0;
  private last = '';
  private units = 0;

  constructor(
    readonly manifestFile: string,
    private readonly header: ReleaseHeader,
    private readonly options: WriterOptions,
  ) {
    this.body = new BodyStream(bodyFileFor(manifestFile), options.level);
  }

  private order(phase: number, sortKey: string, what: string): void {
    if (phase < this.phase)
      throw new VeritermError('bad_input', `${what}: products, then batches, then units`);
    if (phase > this.phase) {
      this.phase = phase;
      this.last = '';
    }
    if (sortKey <= this.last) {
      throw new VeritermError(
        'bad_input',
        `${what} ${JSON.stringify(sortKey)}: not after ${JSON.stringify(this.last)} (input must be sorted and unique)`,
      );
    }
    this.last = sortKey;
  }

  async product(p: RegistryProduct): Promise<void> {
    this.order(1, p.key, 'product');
    this.products.add(p.key);
    const line = productLine(p);
    this.hash.add(line);
    await this.body.line(line, 'P');
  }

  async batch(b: RegistryBatch): Promise<void> {
    const id = `${b.productKey}\t${b.number}`;
    this.order(2, id, 'batch');
    if (!this.products.has(b.productKey))
      throw new VeritermError('bad_input', `batch ${b.number}: unknown product ${b.productKey}`);
    this.batches.add(id);
    const line = batchLine(b);
    this.hash.add(line);
    await this.body.line(line, 'B');
  }

  async unit(u: RegistryUnit): Promise<void> {
    this.order(3, u.key, 'unit');
    const productKey = productKeysOfUnit(u.key).find((k) => this.products.has(k));
    if (!productKey)
      throw new VeritermError('bad_input', `unit ${u.key}: its product is not in the snapshot`);
    if (u.batchNumber !== undefined && !this.batches.has(`${productKey}\t${u.batchNumber}`)) {
      throw new VeritermError(
        'bad_input',
        `unit ${u.key}: batch ${u.batchNumber} of ${productKey} is not in the snapshot`,
      );
    }
    const line = unitLine(u);
    this.hash.add(line);
    this.units++;
    await this.body.line(line, 'U');
  }

  async finish(): Promise<ReleaseFiles> {
    const body = await this.body.finish();
    const signed: ManifestSigned = {
      _type: 'veriterm-release',
      specVersion: 1,
      scope: this.header.scope,
      version: this.header.version,
      kind: 'snapshot',
      created: this.header.created ?? new Date().toISOString(),
      expires: this.header.expires,
      rootVersion: rootVersionOf(this.header, this.options),
      body: { file: basename(this.body.bodyFile), compression: 'deflate', ...body },
      content: {
        hash: this.hash.digest(),
        products: this.products.size,
        batches: this.batches.size,
        units: this.units,
      },
      records: this.body.records,
    };
    const manifest = writeManifest(this.manifestFile, signed, this.options);
    return { manifestFile: this.manifestFile, bodyFile: this.body.bodyFile, manifest };
  }
}
