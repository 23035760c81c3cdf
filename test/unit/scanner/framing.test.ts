import fc from 'fast-check';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { SerialSuffix } from '../../../drivers/scanner/options.js';
import { filterFrame } from '../../../drivers/scanner/serial/frame-filter.js';
import { createFramer, type FrameOverflow } from '../../../drivers/scanner/serial/framing.js';

const SUFFIX: Record<Exclude<SerialSuffix, 'none'>, string> = { CR: '\r', LF: '\n', CRLF: '\r\n', Tab: '\t' };

/** Feeds `input` to a framer in the given chunk sizes; resolves with frames and overflows. */
async function frame(suffix: SerialSuffix, input: Buffer, cuts: number[], max = 64) {
  const framer = createFramer(suffix, max, 5);
  const frames: string[] = [];
  const overflows: number[] = [];
  framer.on('data', (b: Buffer) => frames.push(b.toString('latin1')));
  framer.on('overflow', (o: FrameOverflow) => overflows.push(o.droppedBytes));
  let at = 0;
  for (const cut of [...cuts, input.length]) {
    const end = Math.min(input.length, Math.max(at, cut));
    if (end > at) framer.write(input.subarray(at, end));
    at = end;
  }
  await new Promise<void>((resolve) => framer.end(resolve));
  return { frames, overflows };
}

const code = '0109506000134352' + '21ABC\x1d10L7';

describe('suffix framers (bounded parser-readline)', () => {
  for (const [suffix, s] of Object.entries(SUFFIX) as [Exclude<SerialSuffix, 'none'>, string][]) {
    it(`splits reads on ${suffix} wherever the chunks are cut`, async () => {
      const input = Buffer.from(`${code}${s}81234567890123456789${s}`, 'latin1');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat({ max: input.length }), { maxLength: 6 }), async (cuts) => {
          const { frames } = await frame(
            suffix,
            input,
            [...cuts].sort((a, b) => a - b),
          );
          expect(frames).toEqual([code, '81234567890123456789']);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('drops an overlong read, reports it, and never emits its tail (CRLF split across chunks)', async () => {
    const long = 'X'.repeat(100);
    const input = Buffer.from(`${long}\r\nGOOD1\r\n`, 'latin1');
    for (const cuts of [[10], [50, 100], [100, 101], [70, 101, 103]]) {
      const { frames, overflows } = await frame('CRLF', input, cuts, 64);
      expect(frames).toEqual(['GOOD1']);
      expect(overflows).toHaveLength(1);
      expect(overflows[0]).toBeGreaterThan(64);
    }
  });

  it('keeps at most maxFrameLength + one chunk buffered while a suffix never comes', async () => {
    const framer = createFramer('CR', 64, 5);
    let overflows = 0;
    framer.on('overflow', () => overflows++);
    framer.on('data', () => {});
    for (let i = 0; i < 1000; i++) framer.write(Buffer.alloc(32, 0x41));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect((framer as unknown as { buffer: Buffer }).buffer.length).toBeLessThanOrEqual(64 + 32);
    expect(overflows).toBe(1);
    framer.destroy();
  });
});

describe('inter-byte-timeout framer (suffix none)', () => {
  it('ends a read at a pause and drops overlong bursts up to the next pause', async () => {
    vi.useFakeTimers();
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const framer = createFramer('none', 16, 5);
    const frames: string[] = [];
    let overflows = 0;
    framer.on('data', (b: Buffer) => frames.push(b.toString('latin1')));
    framer.on('overflow', () => overflows++);
    const write = async (text: string) => {
      framer.write(Buffer.from(text));
      await vi.advanceTimersByTimeAsync(1); // bytes 1 ms apart: inside one read
    };
    await write('ABC');
    await write('DEF');
    await vi.advanceTimersByTimeAsync(10); // silence ends the read
    await write('Y'.repeat(20));
    await write('Y'.repeat(20));
    await vi.advanceTimersByTimeAsync(10);
    await write('OK');
    await vi.advanceTimersByTimeAsync(10);
    expect(frames).toEqual(['ABCDEF', 'OK']);
    expect(overflows).toBe(1);
    framer.destroy();
  });
});

describe('filterFrame', () => {
  it('strips power-up noise and stray line ends, keeps GS/RS/EOT', () => {
    const r = filterFrame(Buffer.from('\x00\xff\n]d2010950600013435221A\x1d10B\r\x00', 'latin1'), 100);
    expect(r).toEqual({ ok: true, bytes: Buffer.from(']d2010950600013435221A\x1d10B', 'latin1') });
    const env = filterFrame(Buffer.from('[)>\x1e06\x1d1PABC\x1e\x04', 'latin1'), 100);
    expect(env.ok).toBe(true);
  });

  it('rejects frames with control bytes inside, empty frames and overlong frames', () => {
    expect(filterFrame(Buffer.from('12\x0734', 'latin1'), 100)).toMatchObject({ ok: false, code: 'noise' });
    expect(filterFrame(Buffer.from('\x00\x00\xff', 'latin1'), 100)).toMatchObject({
      ok: false,
      code: 'noise',
    });
    expect(filterFrame(Buffer.from('\n', 'latin1'), 100)).toMatchObject({ ok: false, code: 'empty' });
    expect(filterFrame(Buffer.alloc(101, 0x31), 100)).toMatchObject({ ok: false, code: 'overlong' });
  });
});
