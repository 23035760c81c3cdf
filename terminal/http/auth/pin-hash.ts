import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * PIN/password hashes for config files: `scrypt$N$r$p$saltB64$hashB64` (RFC 7914 scrypt).
 * N=16384, r=8, p=1 costs ~50 ms and 16 MB per check: cheap for one sign-in, expensive for a
 * guesser, and the sign-in route is rate-limited on top. A 4–6 digit PIN is weak by nature; the
 * throttle, not the hash, is what protects it online.
 */
const DEFAULTS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(pin: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(pin.normalize('NFKC'), salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPin(
  pin: string,
  options: { N?: number; r?: number; p?: number } = {},
): Promise<string> {
  const { N, r, p } = { ...DEFAULTS, ...options };
  const salt = randomBytes(16);
  const key = await derive(pin, salt, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Constant-time check of a PIN against a stored hash; false for malformed hashes. */
export async function verifyPin(pin: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (!Number.isInteger(N) || expected.length !== KEY_LENGTH) return false;
  const actual = await derive(pin, salt, { N, r, p });
  return timingSafeEqual(actual, expected);
}
