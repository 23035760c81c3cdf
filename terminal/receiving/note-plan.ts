import { createHash } from 'node:crypto';
import { canonicalJson } from '../sync/protocol.js';
import type { CaseInput, DeliveryNote } from './note-format.js';
import { NOTE_LIMITS } from './note-format.js';
import { isSsccValid, ssccKey } from './sscc.js';
import { type SplitKey, unitKeyOf } from './unit-key.js';

/** Why a note's contents are refused (the signature and envelope checks are in import-note.ts). */
export type TreeRefusalCode =
  | 'malformed_tree'
  | 'bad_container_code'
  | 'bad_unit_code'
  | 'unit_in_two_places'
  | 'container_in_two_places'
  | 'too_large';

export interface TreeRefusal {
  ok: false;
  code: TreeRefusalCode;
  /** Where in the note: `pallets[2].cases[0].units[7]`. */
  path: string;
  message: string;
}

/** A container in depth-first order: a pallet comes before its cases. */
export interface PlannedContainer {
  key: string;
  level: 'pallet' | 'case';
  /** Index of the parent in `containers`, for a case on a pallet. */
  parent?: number;
}

export interface PlannedUnit extends SplitKey {
  /** Index in `containers`; undefined for a loose unit. */
  container: number | undefined;
}

/** A note's contents as rows to store, every key normalised, checked and unique. */
export interface NotePlan {
  ok: true;
  containers: PlannedContainer[];
  units: PlannedUnit[];
  /**
   * hex SHA-256 of what the note says (supplier, arrival, every container and unit by its normalised
   * key, in order): the same delivery id must always come with it. A unit written in another code
   * form is the same content.
   */
  contentHash: string;
}

function contentHashOf(note: DeliveryNote, containers: PlannedContainer[], units: PlannedUnit[]): string {
  const hash = createHash('sha256');
  hash.update(canonicalJson([note.deliveryId, note.supplier, note.expectedArrival]));
  for (const c of containers) hash.update(`\nC${c.level} ${c.key} ${c.parent ?? ''}`);
  // In chunks: one update per unit costs more than building a few hundred lines at a time.
  for (let i = 0; i < units.length; i += 512) {
    let chunk = '';
    for (const u of units.slice(i, i + 512)) chunk += `\nU${u.key} ${u.container ?? ''}`;
    hash.update(chunk);
  }
  return hash.digest('hex');
}

/**
 * Checks a (schema-valid) note's tree and flattens it: every SSCC has its check digit, every unit
 * code reads as a unit through the code reader, no unit or container appears twice (a unit in two
 * cases, a case on two pallets, a container key that is also a unit key), no container is empty.
 */
export function planNote(note: DeliveryNote): NotePlan | TreeRefusal {
  const containers: PlannedContainer[] = [];
  const units: PlannedUnit[] = [];
  const seenUnits = new Map<string, number>();
  const seenContainers = new Map<string, string>();
  const fail = (code: TreeRefusalCode, path: string, message: string): TreeRefusal => ({
    ok: false,
    code,
    path,
    message,
  });

  // Where each unit was listed, as (list path, index): a path string is made only for a refusal.
  const listedIn: string[] = [];
  const listedAt: number[] = [];
  const whereUnit = (i: number) => `${listedIn[i]}[${listedAt[i]}]`;

  const addUnits = (codes: readonly string[], path: string, container?: number): TreeRefusal | undefined => {
    for (let i = 0; i < codes.length; i++) {
      const read = unitKeyOf(codes[i]!);
      if (!read.ok) return fail('bad_unit_code', `${path}[${i}]`, `${read.code}: ${read.message}`);
      const earlierUnit = seenUnits.get(read.key);
      const earlier = earlierUnit !== undefined ? whereUnit(earlierUnit) : seenContainers.get(read.key);
      if (earlier !== undefined)
        return fail('unit_in_two_places', `${path}[${i}]`, `unit ${read.key} is also listed at ${earlier}`);
      seenUnits.set(read.key, units.length);
      listedIn.push(path);
      listedAt.push(i);
      units.push({ key: read.key, productKey: read.productKey, rest: read.rest, container });
      if (units.length > NOTE_LIMITS.maxUnits)
        return fail('too_large', `${path}[${i}]`, `more than ${NOTE_LIMITS.maxUnits} units in one note`);
    }
    return undefined;
  };

  const addContainer = (
    key: string,
    level: PlannedContainer['level'],
    path: string,
    parent?: number,
  ): number | TreeRefusal => {
    const unitAt = seenUnits.get(key);
    const earlier = seenContainers.get(key) ?? (unitAt === undefined ? undefined : whereUnit(unitAt));
    if (earlier !== undefined)
      return fail('container_in_two_places', path, `container ${key} is also listed at ${earlier}`);
    seenContainers.set(key, path);
    containers.push(parent === undefined ? { key, level } : { key, level, parent });
    if (containers.length > NOTE_LIMITS.maxContainers)
      return fail('too_large', path, `more than ${NOTE_LIMITS.maxContainers} containers in one note`);
    return containers.length - 1;
  };

  const caseKey = (c: CaseInput, path: string): string | TreeRefusal => {
    if ((c.sscc === undefined) === (c.code === undefined))
      return fail('malformed_tree', path, 'a case needs exactly one label: sscc, or code (GTIN + serial)');
    if (c.sscc !== undefined) {
      if (!isSsccValid(c.sscc))
        return fail('bad_container_code', `${path}.sscc`, `SSCC ${c.sscc}: wrong check digit`);
      return ssccKey(c.sscc);
    }
    const read = unitKeyOf(c.code!);
    if (!read.ok) return fail('bad_container_code', `${path}.code`, `${read.code}: ${read.message}`);
    return read.key;
  };

  const addCase = (c: CaseInput, path: string, parent?: number): TreeRefusal | undefined => {
    const key = caseKey(c, path);
    if (typeof key !== 'string') return key;
    const index = addContainer(key, 'case', path, parent);
    if (typeof index !== 'number') return index;
    return addUnits(c.units, `${path}.units`, index);
  };

  for (const [p, pallet] of note.pallets.entries()) {
    const path = `pallets[${p}]`;
    if (!isSsccValid(pallet.sscc))
      return fail('bad_container_code', `${path}.sscc`, `SSCC ${pallet.sscc}: wrong check digit`);
    if (pallet.cases.length === 0 && pallet.units.length === 0)
      return fail('malformed_tree', path, 'an empty pallet: expected cases or units on it');
    const index = addContainer(ssccKey(pallet.sscc), 'pallet', path);
    if (typeof index !== 'number') return index;
    for (const [c, item] of pallet.cases.entries()) {
      const refused = addCase(item, `${path}.cases[${c}]`, index);
      if (refused) return refused;
    }
    const refused = addUnits(pallet.units, `${path}.units`, index);
    if (refused) return refused;
  }
  for (const [c, item] of note.cases.entries()) {
    const refused = addCase(item, `cases[${c}]`);
    if (refused) return refused;
  }
  const refused = addUnits(note.units, 'units');
  if (refused) return refused;
  if (units.length === 0) return fail('malformed_tree', '(note)', 'a note without units');
  return { ok: true, containers, units, contentHash: contentHashOf(note, containers, units) };
}
