import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInflate } from 'node:zlib';
import { RegistryError } from './errors.js';
import type { ManifestSigned } from './manifest.js';

/** SHA-256 and length of the compressed body, read once before anything is written. */
export async function checkBodyFile(file: string, body: ManifestSigned['body']): Promise<void> {
  const sha = createHash('sha256');
  let length = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      length += (chunk as Buffer).length;
      if (length > body.length) {
        throw new RegistryError(
          'oversized',
          `body ${file} is longer than the ${body.length} bytes the manifest signs`,
        );
      }
      sha.update(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    throw new RegistryError('truncated', `body ${file} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (length < body.length) {
    throw new RegistryError(
      'truncated',
      `body ${file} has ${length} of the ${body.length} bytes the manifest signs`,
    );
  }
  if (sha.digest('hex') !== body.sha256) {
    throw new RegistryError('hash_mismatch', `body ${file}: SHA-256 differs from the signed manifest`);
  }
}

/**
 * Yields batches of body lines, inflating as it reads. The compressed bytes are hashed again on
 * the way (the file could change between the check and the read); the inflated size must match
 * the signed `rawLength`, which also bounds a decompression bomb.
 */
export async function* readBodyChunks(file: string, body: ManifestSigned['body']): AsyncGenerator<Buffer> {
  const sha = createHash('sha256');
  let length = 0;
  let rawLength = 0;
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  input.on('data', (chunk) => {
    length += chunk.length;
    sha.update(chunk as Buffer);
  });
  // Async zlib inflates on the libuv thread pool, alongside the inserts on the main thread.
  const inflate = createInflate({ chunkSize: 1 << 18 });
  input.on('error', (error) => inflate.destroy(error));
  input.pipe(inflate);
  let rest: Buffer | undefined;
  try {
    for await (const chunk of inflate) {
      rawLength += (chunk as Buffer).length;
      if (rawLength > body.rawLength) {
        throw new RegistryError(
          'oversized',
          `body inflates past the ${body.rawLength} bytes the manifest signs`,
        );
      }
      const data = rest ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      const end = data.lastIndexOf(10);
      if (end < 0) {
        rest = data;
        continue;
      }
      rest = end + 1 < data.length ? Buffer.from(data.subarray(end + 1)) : undefined;
      yield data.subarray(0, end + 1);
    }
  } catch (error) {
    input.destroy();
    if (error instanceof RegistryError) throw error;
    const code = (error as { code?: string }).code;
    throw new RegistryError(
      code === 'Z_BUF_ERROR' ? 'truncated' : 'malformed',
      `body is not a valid deflate stream: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (rest) throw new RegistryError('malformed', 'body does not end with a newline');
  if (rawLength < body.rawLength) {
    throw new RegistryError(
      'truncated',
      `body inflates to ${rawLength} of the ${body.rawLength} bytes signed`,
    );
  }
  if (length !== body.length || sha.digest('hex') !== body.sha256) {
    throw new RegistryError('hash_mismatch', 'body changed while it was being imported');
  }
}

/** The body as batches of lines (strings), for deltas and tools. */
export async function* readBodyLines(file: string, body: ManifestSigned['body']): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of readBodyChunks(file, body)) {
    let text: string;
    try {
      text = decoder.decode(chunk);
    } catch (error) {
      throw new RegistryError('malformed', 'body is not valid UTF-8', { cause: error });
    }
    yield text.slice(0, -1).split('\n');
  }
}
