/**
 * Turns a framed read into scan data or a reason to drop it. Line noise on RS-232 and the bytes
 * a scanner or USB-CDC bridge emits at power-up are NUL, 0xFF/0xFE, XON/XOFF and stray CR/LF
 * (a scanner sending CRLF to a port framed on CR leaves an LF in front of the next read).
 * Those are stripped from both ends; what remains must be data a barcode can carry.
 */
export type FrameVerdict =
  | { ok: true; bytes: Buffer }
  | { ok: false; code: 'empty' | 'noise' | 'overlong'; message: string };

// ISO/IEC 15434 envelopes use RS (0x1E), GS (0x1D), EOT (0x04) and FS (0x1C) inside data.
const ALLOWED_CONTROLS = new Set([0x04, 0x1c, 0x1d, 0x1e]);

function isJunk(byte: number): boolean {
  return (byte < 0x20 && !ALLOWED_CONTROLS.has(byte)) || byte === 0x7f || byte >= 0xfe;
}

export function filterFrame(frame: Buffer, maxFrameLength: number): FrameVerdict {
  if (frame.length > maxFrameLength) {
    return {
      ok: false,
      code: 'overlong',
      message: `Read of ${frame.length} bytes exceeds maxFrameLength ${maxFrameLength}; discarded (check the scanner's suffix setting)`,
    };
  }
  let start = 0;
  let end = frame.length;
  while (start < end && isJunk(frame[start]!)) start++;
  while (end > start && isJunk(frame[end - 1]!)) end--;
  if (start === end) {
    // Stray line ends alone are harmless (CRLF read on a CR-framed port); anything else is noise.
    if (frame.every((b) => b === 0x0d || b === 0x0a)) {
      return { ok: false, code: 'empty', message: 'Empty read' };
    }
    return {
      ok: false,
      code: 'noise',
      message: `Read of ${frame.length} bytes held only line noise; discarded`,
    };
  }
  const bytes = frame.subarray(start, end);
  const bad = bytes.findIndex((b) => isJunk(b));
  if (bad !== -1) {
    const hex = bytes[bad]!.toString(16).padStart(2, '0');
    return {
      ok: false,
      code: 'noise',
      message: `Read contains control byte 0x${hex} at offset ${bad}; discarded as line noise (check baud rate and parity)`,
    };
  }
  return { ok: true, bytes };
}
