import type { EventEmitter } from 'node:events';

/** One decoded scan, exactly once per physical read. */
export interface Scan {
  /** Decoded data as the scanner sent it, suffix removed; GS (0x1D) preserved. */
  data: string;
  /** AIM symbology identifier when the transport reports it separately (HID POS), e.g. `]d2`. */
  symbology?: string;
  /** Stable id of the device (serial by-id path, vendor:product:serial, `sim:…`). */
  deviceId: string;
  /** Epoch ms when the final byte (suffix) arrived. */
  receivedAt: number;
}

export type ScannerState = 'stopped' | 'connecting' | 'connected' | 'disconnected';

export interface ScannerEvents {
  scan: [Scan];
  /** Device gone (unplug, I/O error). Emitted within 2 s; the source keeps trying to reopen. */
  disconnected: [{ deviceId: string; reason: string }];
  connected: [{ deviceId: string }];
  /** A frame that could not become a scan (overlong, binary noise): reported, then dropped. */
  error: [{ deviceId: string; code: string; message: string }];
}

/**
 * A source of scans. `start()` resolves once the source is trying to deliver scans (an absent
 * device is not an error: it reconnects by itself); `stop()` closes the device and resolves when
 * no further events will be emitted. Both are idempotent.
 */
export interface ScannerSource extends EventEmitter<ScannerEvents> {
  readonly deviceId: string;
  readonly state: ScannerState;
  start(): Promise<void>;
  stop(): Promise<void>;
}
