/**
 * Content hash of a registry: a multiset hash (sum, lane by lane mod 2^32, of a 128-bit digest of
 * every canonical P/B/U line). Adding and removing records updates it in O(1), so after a delta
 * the terminal recomputes the hash of the *resulting* content from the stored previous sum and
 * the records the delta replaced, without rereading ten million rows.
 *
 * It detects divergence (a delta applied onto content that differs from what the publisher
 * had); it is not what authenticates data: that is the signed SHA-256 of the body.
 * Exact definition in docs/registry-format.md ("Content hash").
 */
let a = 0;
let b = 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(bytes: Uint8Array, start: number, end: number): void {
  let x = 0x811c9dc5;
  let y = 0x9747b28c ^ (end - start);
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    x = Math.imul(x ^ c, 0x01000193);
    y = Math.imul(y ^ c, 0x5bd1e995);
    y ^= y >>> 15;
  }
  a = x;
  b = y;
}

/** UTF-8 byte length of a string (lone surrogates count as U+FFFD, as Buffer.from writes them). */
function utf8Length(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (
      c >= 0xd800 &&
      c <= 0xdbff &&
      i + 1 < line.length &&
      (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** `mix` over the UTF-8 bytes of `line`, encoding on the fly (no Buffer per record). */
let x = 0;
let y = 0;

function step(c: number): void {
  x = Math.imul(x ^ c, 0x01000193);
  y = Math.imul(y ^ c, 0x5bd1e995);
  y ^= y >>> 15;
}

function mixString(line: string): void {
  x = 0x811c9dc5;
  y = 0x9747b28c ^ utf8Length(line);
  for (let i = 0; i < line.length; i++) {
    let c = line.charCodeAt(i);
    if (c < 0x80) {
      x = Math.imul(x ^ c, 0x01000193);
      y = Math.imul(y ^ c, 0x5bd1e995);
      y ^= y >>> 15;
      continue;
    }
    if (c < 0x800) {
      step(0xc0 | (c >> 6));
      step(0x80 | (c & 0x3f));
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = line.charCodeAt(i + 1);
      if (c <= 0xdbff && i + 1 < line.length && (next & 0xfc00) === 0xdc00) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        step(0xf0 | (cp >> 18));
        step(0x80 | ((cp >> 12) & 0x3f));
        step(0x80 | ((cp >> 6) & 0x3f));
        step(0x80 | (cp & 0x3f));
        continue;
      }
      c = 0xfffd;
    }
    step(0xe0 | (c >> 12));
    step(0x80 | ((c >> 6) & 0x3f));
    step(0x80 | (c & 0x3f));
  }
  a = x;
  b = y;
}

export class ContentHash {
  private l0 = 0;
  private l1 = 0;
  private l2 = 0;
  private l3 = 0;

  static from(hex: string): ContentHash {
    const h = new ContentHash();
    if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error('content hash must be 32 hex digits');
    h.l0 = Number.parseInt(hex.slice(0, 8), 16);
    h.l1 = Number.parseInt(hex.slice(8, 16), 16);
    h.l2 = Number.parseInt(hex.slice(16, 24), 16);
    h.l3 = Number.parseInt(hex.slice(24, 32), 16);
    return h;
  }

  /** Adds one record: its canonical line, hashed as UTF-8 bytes without the newline. */
  add(line: string): void {
    mixString(line);
    this.fold(1);
  }

  remove(line: string): void {
    mixString(line);
    this.fold(-1);
  }

  private fold(sign: 1 | -1): void {
    this.l0 = (this.l0 + sign * fmix32(a)) >>> 0;
    this.l1 = (this.l1 + sign * fmix32(b)) >>> 0;
    this.l2 = (this.l2 + sign * fmix32(a ^ (b + 0x9e3779b9))) >>> 0;
    this.l3 = (this.l3 + sign * fmix32(b ^ (a + 0x7f4a7c15))) >>> 0;
  }

  /** Adds the record whose canonical line is `bytes[start, end)` (UTF-8, no newline). */
  addBytes(bytes: Uint8Array, start: number, end: number): void {
    mix(bytes, start, end);
    this.l0 = (this.l0 + fmix32(a)) >>> 0;
    this.l1 = (this.l1 + fmix32(b)) >>> 0;
    this.l2 = (this.l2 + fmix32(a ^ (b + 0x9e3779b9))) >>> 0;
    this.l3 = (this.l3 + fmix32(b ^ (a + 0x7f4a7c15))) >>> 0;
  }

  digest(): string {
    return [this.l0, this.l1, this.l2, this.l3].map((v) => v.toString(16).padStart(8, '0')).join('');
  }
}
