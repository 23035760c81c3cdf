import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../../upstream/storage/postgres/chunk-cache.js';

// Release chunks a PostgreSQL worker keeps in memory (pg-releases.ts): bounded by bytes, least
// recently used out first, one load for concurrent misses of one chunk.
describe('BoundedCache', () => {
  it('keeps at most maxSize bytes, dropping the least recently used', () => {
    const cache = new BoundedCache<Buffer>(10, (b) => b.length);
    cache.set('a', Buffer.alloc(4));
    cache.set('b', Buffer.alloc(4));
    expect(cache.peek('a')).toBeDefined(); // a is now the most recently used
    cache.set('c', Buffer.alloc(4));
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')).toBeDefined();
    expect(cache.peek('c')).toBeDefined();
    expect(cache.size).toBe(8);
    cache.set('huge', Buffer.alloc(11)); // larger than the whole cache: not kept, nothing evicted
    expect(cache.peek('huge')).toBeUndefined();
    expect(cache.size).toBe(8);
  });

  it('loads a missing key once for concurrent callers and caches only what was found', async () => {
    const cache = new BoundedCache<Buffer>(100, (b) => b.length);
    let loads = 0;
    let release: (b: Buffer) => void = () => undefined;
    const load = () => {
      loads++;
      return new Promise<Buffer>((resolve) => {
        release = resolve;
      });
    };
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release(Buffer.from('chunk'));
    expect((await both).map(String)).toEqual(['chunk', 'chunk']);
    expect(String(await cache.get('k', load))).toBe('chunk');
    expect({ loads, hits: cache.hits, misses: cache.misses }).toEqual({ loads: 1, hits: 1, misses: 1 });
    expect(await cache.get('none', async () => undefined)).toBeUndefined();
    expect(await cache.get('none', async () => Buffer.from('later'))).toEqual(Buffer.from('later'));
  });
});
