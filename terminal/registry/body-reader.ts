import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
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
export async function* readBodyLines(file: string, body: ManifestSigned['body']): AsyncGenerator<string[]> {
  const sha = createHash('sha256');
  let length = 0;
  let rawLength = 0;
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  input.on('data', (chunk) => {
    length += chunk.length;
    sha.update(chunk as Buffer);
  });
  const inflate = createInflate({ chunkSize: 1 << 18 });
  input.on('error', (error) => inflate.destroy(error));
  input.pipe(inflate);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of inflate) {
      rawLength += (chunk as Buffer).length;
      if (rawLength > body.rawLength) {
        throw new RegistryError(
          'oversized',
          `body inflates past the ${body.rawLength} bytes the manifest signs`,
        );
      }
      const text = rest + decoder.write(chunk as Buffer);
      const end = text.lastIndexOf('\n');
      if (end < 0) {
        rest = text;
        continue;
      }
      rest = text.slice(end + 1);
      yield text.slice(0, end).split('\n');
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
  rest += decoder.end();
  if (rest !== '') throw new RegistryError('malformed', 'body does not end with a newline');
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
