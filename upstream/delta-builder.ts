import { type KeyObject, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RegistryUnit } from '../terminal/registry/types.js';
import { canonicalJson } from '../terminal/sync/protocol.js';

/**
 * One unit's new state from ingested records: sold (where and when), active again (a return),
 * destroyed (a store's destruction: terminal, chain-wide) or returned to its supplier.
 */
export interface UnitChange {
  key: string;
  status: 'sold' | 'active' | 'destroyed' | 'returned_to_supplier';
  /** `destroyed` / `returned_to_supplier`: the store that shipped the unit out, and when. */
  leftAt?: { store: string; at: string; terminal?: string };
  soldAt?: RegistryUnit['soldAt'] & { terminal?: string };
  /**
   * `active` from a return: the store that took the unit back (and when). Only that store's own
   * sale is undone by it; a builder that knows the unit's state leaves a sale elsewhere standing.
   */
  returnedAt?: { store: string; at: string; terminal?: string };
}

/**
 * Writes the files of a registry delta `from → to` into `dir`. The registry module's `buildDelta`
 * plugs in here. Returns `'empty'` (and writes nothing) when no change is about a unit of the
 * scope: no version is spent on it, so terminals do not fetch empty deltas (a fleet selling units
 * of other scopes made one every flush; docs/scaling.md).
 */
export interface DeltaBuilder {
  buildDelta(input: {
    scope: string;
    from: number;
    to: number;
    changes: UnitChange[];
    dir: string;
  }): undefined | 'empty' | Promise<undefined | 'empty'>;
  /**
   * Writes a snapshot of the scope at `version` (the version of its last delta, same content) into
   * `dir`: what a terminal further behind than the announced deltas reach installs instead. The
   * publisher asks for one every `snapshotEveryDeltas` versions (registry-publisher.ts). A builder
   * without it (the unsigned JSON format) never makes one.
   */
  buildSnapshot?(input: { scope: string; version: number; dir: string }): Promise<void>;
}

/** Name of the delta document written by `jsonDeltaBuilder`. */
export const SOLD_DELTA_FILE = 'delta.json';

export interface SoldDelta {
  format: 'veriterm-unit-delta/1';
  scope: string;
  base: number;
  version: number;
  createdAt: string;
  units: UnitChange[];
}

/**
 * Default delta format until terminal/registry's signed delta builder is wired in: a canonical
 * JSON document and, when a key is given, `delta.json.sig` (base64 Ed25519 over the document).
 */
export function jsonDeltaBuilder(signingKey?: KeyObject): DeltaBuilder {
  return {
    buildDelta({ scope, from, to, changes, dir }) {
      const doc: SoldDelta = {
        format: 'veriterm-unit-delta/1',
        scope,
        base: from,
        version: to,
        createdAt: new Date().toISOString(),
        units: changes,
      };
      const bytes = Buffer.from(canonicalJson(doc));
      writeFileSync(join(dir, SOLD_DELTA_FILE), bytes);
      if (signingKey)
        writeFileSync(join(dir, `${SOLD_DELTA_FILE}.sig`), sign(null, bytes, signingKey).toString('base64'));
    },
  };
}
