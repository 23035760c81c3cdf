import { statfsSync } from 'node:fs';
import { DiskFullError } from '../db/storage-errors.js';
import type { VeritermError } from '../errors.js';
import { reportStorage, type StorageProbeOptions } from './probes.js';
import type { HealthReporter } from './types.js';

/** Free space needed before a latched `disk_full` clears, whatever `failFreeBytes` says. */
const MIN_RECOVER_FREE_BYTES = 256 * 1024;

/**
 * The `storage` health item: free space and database size (reportStorage) and, above that, a latch
 * for writes that actually failed for lack of space. A `disk_full` fault (query log, ledger, print
 * queue, any refused request) sets the item to FAIL `storage.disk_full` naming the file; it stays
 * so until the disk has room again (`failFreeBytes`, at least 256 KiB), checked on every refresh.
 */
export class StorageMonitor {
  readonly #health: HealthReporter;
  readonly #options: StorageProbeOptions;
  #full: { file: string; at: string } | undefined;

  constructor(health: HealthReporter, options: StorageProbeOptions) {
    this.#health = health;
    this.#options = options;
  }

  /** Whether writes are failing for lack of space (since the last refresh found no room). */
  get full(): boolean {
    return this.#full !== undefined;
  }

  /** A write was refused with `disk_full`: latch and report at once. */
  diskFull(fault: VeritermError): void {
    const file =
      fault instanceof DiskFullError ? fault.file : (this.#options.dbFiles[0] ?? 'the data folder');
    const first = this.#full === undefined;
    this.#full = { file, at: new Date().toISOString() };
    if (first) this.#report();
  }

  /** Re-reads free space; clears the latch once there is room, else reports it again. */
  refresh(): void {
    if (this.#full) {
      const free = this.#freeBytes();
      const needed = Math.max(this.#options.failFreeBytes ?? 0, MIN_RECOVER_FREE_BYTES);
      if (free === undefined || free < needed) {
        this.#report(free);
        return;
      }
      this.#full = undefined;
    }
    reportStorage(this.#health, this.#options);
  }

  #report(free = this.#freeBytes()): void {
    const full = this.#full!;
    const freeBytes = free ?? 0;
    this.#health.report('storage', {
      level: 'fail',
      code: 'storage.disk_full',
      params: { file: full.file, freeBytes },
      reason: `Disk full: writes to ${full.file} are refused (${Math.round(freeBytes / 1024)} KiB free); free some space`,
      details: { reason: 'disk_full', file: full.file, since: full.at, freeBytes },
    });
  }

  #freeBytes(): number | undefined {
    try {
      const fs = statfsSync(this.#options.dataDir);
      return fs.bavail * fs.bsize;
    } catch {
      return undefined;
    }
  }
}
