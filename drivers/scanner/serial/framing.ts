import type { Transform, TransformCallback } from 'node:stream';
import { InterByteTimeoutParser } from '@serialport/parser-inter-byte-timeout';
import { ReadlineParser } from '@serialport/parser-readline';
import type { SerialSuffix } from '../options.js';

/** Emitted by a framer (event `overflow`) when input outgrew maxFrameLength and was dropped. */
export interface FrameOverflow {
  /** Bytes dropped so far in this overlong read (at least maxFrameLength + 1). */
  droppedBytes: number;
}

const SUFFIX_BYTES: Record<Exclude<SerialSuffix, 'none'>, Buffer> = {
  CR: Buffer.from([0x0d]),
  LF: Buffer.from([0x0a]),
  CRLF: Buffer.from([0x0d, 0x0a]),
  Tab: Buffer.from([0x09]),
};

/**
 * @serialport/parser-readline with a bounded buffer. The stock parser keeps everything up to the
 * next delimiter, so a scanner whose suffix is misconfigured (or a line left open) grows memory
 * without bound. Here, once the partial read passes `maxFrameLength` it is dropped, an `overflow`
 * is emitted, and input is skipped up to the next delimiter so the tail of the overlong read
 * never surfaces as a bogus scan. Complete frames are emitted as Buffers (no decoding).
 */
export class BoundedReadlineParser extends ReadlineParser {
  readonly #max: number;
  #discarding = false;
  #dropped = 0;
  /** The last delimiter.length - 1 bytes seen while discarding (a CRLF split across chunks). */
  #carry: Buffer = Buffer.alloc(0);

  constructor(delimiter: Buffer, maxFrameLength: number) {
    super({ delimiter, encoding: undefined });
    this.#max = maxFrameLength;
  }

  override _transform(chunk: Buffer, encoding: BufferEncoding, cb: TransformCallback): void {
    let data = chunk;
    if (this.#discarding) {
      const joined = Buffer.concat([this.#carry, data]);
      const at = joined.indexOf(this.delimiter);
      if (at === -1) {
        this.#dropped += data.length;
        this.#carry = joined.subarray(Math.max(0, joined.length - (this.delimiter.length - 1)));
        cb();
        return;
      }
      this.#discarding = false;
      this.#carry = Buffer.alloc(0);
      data = joined.subarray(at + this.delimiter.length);
    }
    super._transform(data, encoding, (error) => {
      if (this.buffer.length > this.#max) this.#overflow();
      cb(error);
    });
  }

  /** A complete frame that arrived in one chunk can be overlong too: drop it here as well. */
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (Buffer.isBuffer(chunk) && chunk.length > this.#max) {
      this.emit('overflow', { droppedBytes: chunk.length } satisfies FrameOverflow);
      return true;
    }
    return super.push(chunk, encoding);
  }

  #overflow(): void {
    this.#dropped = this.buffer.length;
    const keep = this.delimiter.length - 1;
    this.#carry = keep > 0 ? this.buffer.subarray(this.buffer.length - keep) : Buffer.alloc(0);
    this.buffer = Buffer.alloc(0);
    this.#discarding = true;
    this.emit('overflow', { droppedBytes: this.#dropped } satisfies FrameOverflow);
  }
}

/**
 * @serialport/parser-inter-byte-timeout for scanners configured without a suffix: a read ends
 * after `interval` ms of silence. When a read reaches maxFrameLength + 1 bytes it is dropped,
 * `overflow` is emitted, and everything up to the next silence is dropped with it.
 */
export class BoundedInterByteTimeoutParser extends InterByteTimeoutParser {
  #discarding = false;

  constructor(intervalMs: number, maxFrameLength: number) {
    super({ interval: intervalMs, maxBufferSize: maxFrameLength + 1 });
  }

  override emitPacket(): void {
    const bySize = this.currentPacket.length >= this.maxBufferSize;
    if (bySize) {
      // Called from inside the byte loop of _transform: drop the packet, keep discarding.
      if (!this.#discarding) {
        this.emit('overflow', { droppedBytes: this.currentPacket.length } satisfies FrameOverflow);
      }
      this.#discarding = true;
      this.currentPacket = [];
      return;
    }
    if (this.#discarding) {
      // Silence: the overlong read is over; what was gathered since is its tail.
      if (this.intervalID) clearTimeout(this.intervalID);
      this.#discarding = false;
      this.currentPacket = [];
      return;
    }
    super.emitPacket();
  }
}

/** The framer for a suffix: a Transform emitting one Buffer per read, plus `overflow` events. */
export function createFramer(
  suffix: SerialSuffix,
  maxFrameLength: number,
  interByteTimeoutMs: number,
): Transform {
  if (suffix === 'none') return new BoundedInterByteTimeoutParser(interByteTimeoutMs, maxFrameLength);
  return new BoundedReadlineParser(SUFFIX_BYTES[suffix], maxFrameLength);
}
