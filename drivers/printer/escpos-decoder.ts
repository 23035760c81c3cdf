import iconv from 'iconv-lite';

/** What a printer does with the commands it received, in order. */
export type PrintAction =
  | { type: 'text'; bytes: Uint8Array }
  | { type: 'newline' }
  | { type: 'bold'; on: boolean }
  | { type: 'chinese'; on: boolean }
  | { type: 'codepage'; table: number }
  | { type: 'init' }
  | { type: 'qr'; data: string }
  | { type: 'barcode'; symbology: number; data: string }
  | { type: 'image'; widthDots: number; heightDots: number }
  | { type: 'feed'; lines: number }
  | { type: 'cut'; partial: boolean }
  | { type: 'drawer'; pin: 2 | 5 };

export interface DecoderHandlers {
  /** A real-time request (DLE EOT n): answered at once, even while the printer is offline. */
  onStatusRequest(n: number): void;
  /** A command that prints (or changes how later text prints). */
  onAction(action: PrintAction): void;
}

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const DLE = 0x10;

/**
 * Incremental ESC/POS parser for the fake printers: knows the length of every command a receipt
 * uses, so bytes inside QR data or raster images are never taken for commands, and it waits for
 * more bytes when a command is split across TCP segments.
 */
export class EscPosDecoder {
  private buffer = new Uint8Array(0);
  private qrData = '';

  constructor(private readonly handlers: DecoderHandlers) {}

  push(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.buffer.length + chunk.length);
    merged.set(this.buffer);
    merged.set(chunk, this.buffer.length);
    let i = 0;
    while (i < merged.length) {
      const used = this.step(merged, i);
      if (used === 0) break; // incomplete command: wait for more
      i += used;
    }
    this.buffer = merged.slice(i);
  }

  /** Consumes one command or text run at `i`; returns bytes used, 0 when incomplete. */
  private step(b: Uint8Array, i: number): number {
    const c = b[i]!;
    const need = (n: number) => (i + n <= b.length ? n : 0);
    const at = (k: number) => b[i + k]!;
    if (c === 0x0a) {
      this.handlers.onAction({ type: 'newline' });
      return 1;
    }
    if (c === 0x0d || c === 0x09 || c === 0x00) return 1;
    if (c === DLE) {
      if (!need(3)) return 0;
      if (at(1) === 0x04) this.handlers.onStatusRequest(at(2));
      if (at(1) === 0x14) return need(5); // DLE DC4 fn m t
      return 3;
    }
    if (c === ESC) {
      if (!need(2)) return 0;
      const cmd = at(1);
      if (cmd === 0x40) {
        this.handlers.onAction({ type: 'init' });
        return 2;
      }
      if (cmd === 0x32 || cmd === 0x3c) return 2; // ESC 2, ESC <
      if (cmd === 0x70) {
        if (!need(5)) return 0;
        this.handlers.onAction({ type: 'drawer', pin: at(2) === 1 || at(2) === 0x31 ? 5 : 2 });
        return 5;
      }
      if (cmd === 0x2a) {
        // ESC * m nL nH d1…dk: column bit image, 1 or 3 bytes per column.
        if (!need(5)) return 0;
        const columns = at(3) + at(4) * 256;
        const total = 5 + columns * (at(2) <= 1 ? 1 : 3);
        if (!need(total)) return 0;
        this.handlers.onAction({ type: 'image', widthDots: columns, heightDots: at(2) <= 1 ? 8 : 24 });
        return total;
      }
      if (cmd === 0x24 || cmd === 0x5c) return need(4); // ESC $ / ESC \ nL nH
      if (cmd === 0x63) return need(4); // ESC c n m
      if (!need(3)) return 0;
      if (cmd === 0x45 || cmd === 0x47) this.handlers.onAction({ type: 'bold', on: (at(2) & 1) === 1 });
      if (cmd === 0x74) this.handlers.onAction({ type: 'codepage', table: at(2) });
      if (cmd === 0x64) this.handlers.onAction({ type: 'feed', lines: at(2) });
      return 3;
    }
    if (c === FS) {
      if (!need(2)) return 0;
      const cmd = at(1);
      if (cmd === 0x26 || cmd === 0x2e) {
        this.handlers.onAction({ type: 'chinese', on: cmd === 0x26 });
        return 2;
      }
      if (cmd === 0x70) return need(4);
      return need(3);
    }
    if (c === GS) return this.gs(b, i);
    // A run of printable bytes up to the next control byte.
    let end = i;
    while (end < b.length && b[end]! >= 0x20 && b[end] !== 0x7f) end++;
    if (end === i) return 1;
    this.handlers.onAction({ type: 'text', bytes: b.slice(i, end) });
    return end - i;
  }

  private gs(b: Uint8Array, i: number): number {
    const need = (n: number) => (i + n <= b.length ? n : 0);
    const at = (k: number) => b[i + k]!;
    if (!need(2)) return 0;
    const cmd = at(1);
    if (cmd === 0x28) {
      // GS ( c pL pH …: parameter block of pL + pH·256 bytes.
      if (!need(5)) return 0;
      const total = 5 + at(3) + at(4) * 256;
      if (!need(total)) return 0;
      if (at(2) === 0x6b && at(5) === 0x31) {
        // GS ( k cn=49 (QR): fn 80 stores the data, fn 81 prints it.
        if (at(6) === 0x50) this.qrData = Buffer.from(b.subarray(i + 8, i + total)).toString('latin1');
        if (at(6) === 0x51) this.handlers.onAction({ type: 'qr', data: this.qrData });
      }
      return total;
    }
    if (cmd === 0x76) {
      // GS v 0 m xL xH yL yH d1…dk: raster bit image.
      if (!need(8)) return 0;
      const bytesPerRow = at(4) + at(5) * 256;
      const rows = at(6) + at(7) * 256;
      if (!need(8 + bytesPerRow * rows)) return 0;
      this.handlers.onAction({ type: 'image', widthDots: bytesPerRow * 8, heightDots: rows });
      return 8 + bytesPerRow * rows;
    }
    if (cmd === 0x6b) {
      // GS k m: m 0–6 data ends with NUL; m 65–79 has a length byte.
      if (!need(3)) return 0;
      const m = at(2);
      if (m <= 6) {
        const end = b.indexOf(0, i + 3);
        if (end < 0) return 0;
        this.barcode(m, b.subarray(i + 3, end));
        return end + 1 - i;
      }
      if (!need(4) || !need(4 + at(3))) return 0;
      this.barcode(m, b.subarray(i + 4, i + 4 + at(3)));
      return 4 + at(3);
    }
    if (cmd === 0x56) {
      // GS V m [n]: m 0/1/48/49 cut now; 65/66 (and 97/98, 103/104) take a feed amount.
      if (!need(3)) return 0;
      const m = at(2);
      const long = m >= 65;
      if (long && !need(4)) return 0;
      this.handlers.onAction({ type: 'cut', partial: [1, 49, 66, 98, 104].includes(m) });
      return long ? 4 : 3;
    }
    if (cmd === 0x4c || cmd === 0x57 || cmd === 0x50) return need(4);
    return need(3);
  }

  private barcode(symbology: number, data: Uint8Array): void {
    this.handlers.onAction({ type: 'barcode', symbology, data: Buffer.from(data).toString('latin1') });
  }
}

/** ESC t tables the fakes can show as text (others fall back to CP437). */
const tables: Record<number, string> = {
  0: 'cp437',
  2: 'cp850',
  16: 'windows1252',
  17: 'cp866',
  19: 'cp858',
};

/** Decodes text bytes as the printer would: GB18030 in Chinese mode, else the ESC t table. */
export function decodeText(bytes: Uint8Array, chinese: boolean, table: number): string {
  return iconv.decode(Buffer.from(bytes), chinese ? 'gb18030' : (tables[table] ?? 'cp437'));
}
