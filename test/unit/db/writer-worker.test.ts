import { createHash, sign as cryptoSign, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteWriterWorker } from '../../../terminal/db/writer-worker.js';
import { workerSigningKey } from '../../../terminal/identity/ed25519.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let file: string;
const workers: SqliteWriterWorker[] = [];

beforeEach(() => {
  temp = makeTempDir();
  file = join(temp.dir, 'w.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE rows (n INTEGER PRIMARY KEY, body TEXT NOT NULL, signature TEXT NOT NULL)');
  db.close();
});
afterEach(async () => {
  for (const w of workers.splice(0)) await w.close();
  temp.cleanup();
});

function writer(signing?: ReturnType<typeof workerSigningKey>): SqliteWriterWorker {
  const w = new SqliteWriterWorker({
    file,
    busyTimeoutMs: 1000,
    pragmas: ['synchronous = FULL'],
    checks: ['SELECT MAX(n) FROM rows'],
    statements: ['INSERT INTO rows (n, body, signature) VALUES (?, ?, ?)'],
    ...(signing ? { signing } : {}),
    name: { text: 'The test writer', code: 'test_write' },
  });
  workers.push(w);
  return w;
}

const digest = (text: string) => createHash('sha256').update(text).digest();
const stored = () => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT n, body, signature FROM rows ORDER BY n').all();
  } finally {
    db.close();
  }
};

describe('SqliteWriterWorker signed columns', () => {
  it('signs each digest into its slot and answers the signatures, as node:crypto signs them', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const signing = workerSigningKey(privateKey);
    const w = writer(signing);
    // The seed was copied into the worker and wiped here.
    if ('seed' in signing) expect(signing.seed.every((b) => b === 0)).toBe(true);
    const digests = [digest('one'), digest('two')];
    const result = await w.write(
      [[0, [], [null]]],
      [
        [0, [1, 'one', '']],
        [0, [2, 'two', '']],
      ],
      {
        digests,
        slots: [
          [0, 2],
          [1, 2],
        ],
      },
    );
    expect(result.committed).toBe(true);
    const expected = digests.map((d) => cryptoSign(null, d, privateKey));
    expect(result.signatures.map((s) => s.toString('hex'))).toEqual(expected.map((s) => s.toString('hex')));
    expect(stored()).toEqual([
      { n: 1, body: 'one', signature: expected[0]!.toString('base64') },
      { n: 2, body: 'two', signature: expected[1]!.toString('base64') },
    ]);
  });

  it('answers no signatures and writes nothing when a check does not hold', async () => {
    const w = writer(workerSigningKey(generateKeyPairSync('ed25519').privateKey));
    const result = await w.write([[0, [], [7]]], [[0, [1, 'x', '']]], {
      digests: [digest('x')],
      slots: [[0, 2]],
    });
    expect(result).toEqual({ committed: false, signatures: [] });
    expect(stored()).toEqual([]);
  });

  it('refuses signed columns without a signing key, writing nothing, and goes on serving', async () => {
    const w = writer();
    await expect(
      w.write([], [[0, [1, 'x', '']]], { digests: [digest('x')], slots: [[0, 2]] }),
    ).rejects.toMatchObject({
      code: 'test_write_failed',
      message: expect.stringContaining('has no signing key'),
    });
    expect(stored()).toEqual([]);
    expect(await w.write([], [[0, [1, 'plain', 'none']]])).toEqual({ committed: true, signatures: [] });
    expect(stored()).toHaveLength(1);
  });

  it('refuses a digest without its slot, naming both counts', async () => {
    const w = writer(workerSigningKey(generateKeyPairSync('ed25519').privateKey));
    await expect(
      w.write([], [[0, [1, 'x', '']]], { digests: [digest('x'), digest('y')], slots: [[0, 2]] }),
    ).rejects.toThrow('Expected one slot per digest and 32-byte digests, got 1 slots');
  });
});
