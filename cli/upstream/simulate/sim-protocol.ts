import type { SimTerminalSpec } from './sim-terminal.js';

export { seededRandom } from '../../../terminal/seeded-random.js';

/** What the simulation's parent tells a terminal process (over the fork IPC channel). */
export type ToTerminals =
  | {
      type: 'init';
      brokerUrl: string;
      terminals: (SimTerminalSpec & { index: number })[];
      /** This process's share of the fleet's sales per second. */
      salesPerSecond: number;
      /** Units per sale (records per sale = lines + 1). */
      lines: number;
      /** Links to drop: terminal index, when (ms after start), for how long. */
      drops: { index: number; atMs: number; forMs: number }[];
      seed: number;
    }
  | { type: 'start' }
  | { type: 'sell'; index: number; codes: string[]; tag: string }
  | { type: 'stopSales' }
  | { type: 'finish'; timeoutMs: number };

export interface TerminalHead {
  storeId: string;
  terminalId: string;
  head: number;
  acked: number;
}

/** What a terminal process reports back. */
export type FromTerminals =
  | { type: 'ready'; connected: number }
  | { type: 'sold'; tag: string; at: string; signedMs: number }
  | {
      type: 'report';
      heads: TerminalHead[];
      lagsOnline: number[];
      lagsOffline: number[];
      sales: number;
      drops: number;
      cpuMs: number;
    };

/** What a terminal process reports when it has finished. */
export type TerminalsReport = Extract<FromTerminals, { type: 'report' }>;

/** Upstream options a run sets, as JSON in the upstream's data directory (sim-upstream-child.ts reads it). */
export const SIM_UPSTREAM_OPTIONS = 'sim-upstream-options.json';

/** What an upstream process reports every second. */
export interface UpstreamTick {
  type: 'ingested';
  /** Records it stored so far. */
  records: number;
  atMs: number;
  /** Delta versions and snapshots its registry publisher built so far (0 unless it holds the lease). */
  deltas: number;
  snapshots: number;
  /** The scope's announced version. */
  version: number;
}

/** What an upstream process answers to `audit`: what it stored, for the terminals asked about. */
export interface UpstreamAudit {
  type: 'audit';
  storedRecords: number;
  dbBytes: number;
  /** Each audited terminal's last stored sequence, in the order asked. */
  lastSeqs: number[];
  sequencesInOrder: boolean;
}
