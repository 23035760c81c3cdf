import type { SqliteDatabase } from '../db/open-database.js';
import type { NotePlan } from './note-plan.js';
import { migrateReceiving } from './schema.js';
import type { SplitKey } from './unit-key.js';

export const CONTAINER_PENDING = 0;
export const CONTAINER_CHECKED_IN = 1;
export const CONTAINER_OPENED = 2;
export const UNIT_AS_CONTAINER = 0;
export const UNIT_CHECKED_IN = 1;
export const UNIT_PUT_ASIDE = 2;

export interface NoteMeta {
  deliveryId: string;
  contentHash: string;
  nonce: string;
  keyId?: string;
  storeId: string;
  supplierId: string;
  supplierName: string;
  expectedArrival: string;
  issuedAt: string;
  expiresAt: string;
}

export interface NoteRow {
  id: number;
  deliveryId: string;
  contentHash: string;
  storeId: string;
  supplierId: string;
  supplierName: string;
  expectedArrival: string;
  importedAt: string;
  units: number;
  containers: number;
  state: 'open' | 'closed';
  outcome: 'complete' | 'partial' | null;
  reason: string | null;
  closedAt: string | null;
  receiptId: string | null;
  /** JSON of the delivery's counts when it closed. */
  closedCounts: string | null;
}

export interface ContainerRow {
  id: number;
  note: number;
  key: string | null;
  level: 'pallet' | 'case' | 'loose';
  parent: number | null;
  state: number;
  units: number;
}

export interface UnitRow {
  container: number;
  state: number;
  note: number;
  containerState: number;
}

export interface ExceptionRow {
  key: string;
  reason: string;
  putAside: boolean;
  at: string;
}

const NOTE_COLUMNS = `id, delivery_id AS deliveryId, content_hash AS contentHash, store_id AS storeId,
  supplier_id AS supplierId, supplier_name AS supplierName, expected_arrival AS expectedArrival,
  imported_at AS importedAt, units, containers, state, outcome, reason, closed_at AS closedAt,
  receipt_id AS receiptId, closed_counts AS closedCounts`;

/** The notes on a terminal database, read-only (no migration): `veriterm deliveries list`. */
export function readNotes(db: SqliteDatabase): NoteRow[] {
  return db.prepare(`SELECT ${NOTE_COLUMNS} FROM receiving_notes ORDER BY id`).all() as NoteRow[];
}

/** A unit already on another note (refuses the note that lists it again). */
export class UnitTaken extends Error {
  constructor(readonly key: string) {
    super(`unit ${key} is already on another delivery note`);
  }
}

/**
 * Receiving's SQL, on the terminal database connection the ledger uses (one connection, so a
 * caller's ledger transaction covers these writes too). No method opens a transaction: callers
 * (import-note.ts, checkin-service.ts) decide what commits together.
 */
export class ReceivingStore {
  private readonly q;

  constructor(readonly db: SqliteDatabase) {
    migrateReceiving(db);
    this.q = {
      noteByDelivery: db.prepare(`SELECT ${NOTE_COLUMNS} FROM receiving_notes WHERE delivery_id = ?`),
      noteById: db.prepare(`SELECT ${NOTE_COLUMNS} FROM receiving_notes WHERE id = ?`),
      notes: db.prepare(`SELECT ${NOTE_COLUMNS} FROM receiving_notes ORDER BY id`),
      insertNote: db.prepare(
        `INSERT INTO receiving_notes (delivery_id, content_hash, nonce, key_id, store_id, supplier_id,
           supplier_name, expected_arrival, issued_at, expires_at, imported_at, units, containers)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertProduct: db.prepare('INSERT OR IGNORE INTO receiving_products (key) VALUES (?)'),
      productId: db.prepare('SELECT id FROM receiving_products WHERE key = ?'),
      insertContainer: db.prepare(
        `INSERT OR IGNORE INTO receiving_containers (note, key, level, parent, state, units)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      insertList: db.prepare('INSERT INTO receiving_unit_lists (container, list) VALUES (?, ?)'),
      insertUnit: db.prepare(
        'INSERT OR IGNORE INTO receiving_units (product, rest, container) VALUES (?, ?, ?)',
      ),
      containerByKey: db.prepare(
        'SELECT id, note, key, level, parent, state, units FROM receiving_containers WHERE key = ?',
      ),
      containerById: db.prepare(
        'SELECT id, note, key, level, parent, state, units FROM receiving_containers WHERE id = ?',
      ),
      containersOf: db.prepare(
        'SELECT id, note, key, level, parent, state, units FROM receiving_containers WHERE note = ? ORDER BY id',
      ),
      children: db.prepare(
        'SELECT id, note, key, level, parent, state, units FROM receiving_containers WHERE parent = ? ORDER BY id',
      ),
      unitList: db.prepare('SELECT list FROM receiving_unit_lists WHERE container = ?'),
      clearLists: db.prepare(
        'DELETE FROM receiving_unit_lists WHERE container IN (SELECT id FROM receiving_containers WHERE note = ?)',
      ),
      unit: db.prepare(
        `SELECT u.container, u.state, c.note, c.state AS containerState
         FROM receiving_units u JOIN receiving_containers c ON c.id = u.container
         WHERE u.product = (SELECT id FROM receiving_products WHERE key = ?) AND u.rest = ?`,
      ),
      setUnitState: db.prepare(
        `UPDATE receiving_units SET state = ?
         WHERE product = (SELECT id FROM receiving_products WHERE key = ?) AND rest = ?`,
      ),
      setContainerState: db.prepare('UPDATE receiving_containers SET state = ? WHERE id = ?'),
      checkInChildren: db.prepare(
        `UPDATE receiving_containers SET state = ${CONTAINER_CHECKED_IN}
         WHERE parent = ? AND state = ${CONTAINER_PENDING}`,
      ),
      addException: db.prepare(
        `INSERT INTO receiving_exceptions (note, key, reason, put_aside, at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (note, key, reason) DO UPDATE SET put_aside = MAX(put_aside, excluded.put_aside)`,
      ),
      exceptions: db.prepare(
        `SELECT key, reason, put_aside AS putAside, at FROM receiving_exceptions WHERE note = ? ORDER BY id`,
      ),
      putAside: db.prepare('SELECT key FROM receiving_exceptions WHERE note = ? AND put_aside = 1'),
      latestExceptions: db.prepare(
        `SELECT key, reason, put_aside AS putAside, at FROM receiving_exceptions WHERE note = ?
         ORDER BY id DESC LIMIT ?`,
      ),
      exceptionCount: db.prepare('SELECT count(*) AS n FROM receiving_exceptions WHERE note = ?'),
      // One pass over the unit rows (no index by container): the rows with a state of their own are few.
      ownStates: db.prepare(
        `SELECT container, state, count(*) AS n FROM receiving_units
         WHERE state <> 0 AND container IN (SELECT id FROM receiving_containers WHERE note = ?)
         GROUP BY container, state`,
      ),
      foreignCount: db.prepare(
        "SELECT count(*) AS n FROM receiving_exceptions WHERE note = ? AND reason = 'foreign'",
      ),
      close: db.prepare(
        `UPDATE receiving_notes SET state = 'closed', outcome = ?, reason = ?, closed_at = ?, receipt_id = ?,
           closed_counts = ?
         WHERE id = ? AND state = 'open'`,
      ),
    };
  }

  noteByDeliveryId(deliveryId: string): NoteRow | undefined {
    return this.q.noteByDelivery.get(deliveryId) as NoteRow | undefined;
  }

  note(id: number): NoteRow | undefined {
    return this.q.noteById.get(id) as NoteRow | undefined;
  }

  notes(): NoteRow[] {
    return this.q.notes.all() as NoteRow[];
  }

  /**
   * Stores a checked note (inside the caller's transaction). Throws UnitTaken, naming the unit,
   * when a unit or a container is already on another note: the caller's rollback leaves nothing.
   */
  insertNote(meta: NoteMeta, plan: NotePlan, importedAt: string): number {
    const q = this.q;
    const noteId = Number(
      q.insertNote.run(
        meta.deliveryId,
        meta.contentHash,
        meta.nonce,
        meta.keyId ?? null,
        meta.storeId,
        meta.supplierId,
        meta.supplierName,
        meta.expectedArrival,
        meta.issuedAt,
        meta.expiresAt,
        importedAt,
        plan.units.length,
        plan.containers.length,
      ).lastInsertRowid,
    );
    // Each container's own units (not its children's), for its row's unit list.
    const own: string[][] = plan.containers.map(() => []);
    const loose: string[] = [];
    // Lines `productKey<TAB>rest`: the unit's row key without parsing the code again.
    for (const u of plan.units)
      (u.container === undefined ? loose : own[u.container]!).push(`${u.productKey}\t${u.rest}`);
    const ids: number[] = [];
    for (const [i, c] of plan.containers.entries()) {
      const parent = c.parent === undefined ? null : ids[c.parent]!;
      const count = own[i]!.length;
      const info = q.insertContainer.run(noteId, c.key, c.level, parent, CONTAINER_PENDING, count);
      if (info.changes !== 1) throw new UnitTaken(c.key);
      const id = Number(info.lastInsertRowid);
      if (count > 0) q.insertList.run(id, own[i]!.join('\n'));
      ids.push(id);
    }
    const looseId = Number(
      q.insertContainer.run(noteId, null, 'loose', null, CONTAINER_OPENED, loose.length).lastInsertRowid,
    );
    if (loose.length > 0) q.insertList.run(looseId, loose.join('\n'));
    // Inserted in key order: B-tree pages fill up instead of splitting half-empty.
    const products = new Map<string, number>();
    const rows = plan.units.map((u) => ({
      product: this.productId(u.productKey, products),
      rest: u.rest,
      key: u.key,
      container: u.container === undefined ? looseId : ids[u.container]!,
    }));
    rows.sort((a, b) => a.product - b.product || (a.rest < b.rest ? -1 : a.rest > b.rest ? 1 : 0));
    for (const r of rows) {
      if (q.insertUnit.run(r.product, r.rest, r.container).changes !== 1) throw new UnitTaken(r.key);
    }
    return noteId;
  }

  /** A container key that is on a note (its container row), or undefined. */
  containerByKey(key: string): ContainerRow | undefined {
    return this.q.containerByKey.get(key) as ContainerRow | undefined;
  }

  container(id: number): ContainerRow | undefined {
    return this.q.containerById.get(id) as ContainerRow | undefined;
  }

  containersOf(noteId: number): ContainerRow[] {
    return this.q.containersOf.all(noteId) as ContainerRow[];
  }

  children(containerId: number): ContainerRow[] {
    return this.q.children.all(containerId) as ContainerRow[];
  }

  /** A container's own units (not its child containers'); empty once its note closed. */
  unitKeysOf(containerId: number): SplitKey[] {
    const row = this.q.unitList.get(containerId) as { list: string | null } | undefined;
    if (!row?.list) return [];
    return row.list.split('\n').map((line) => {
      const tab = line.indexOf('\t');
      const productKey = line.slice(0, tab);
      const rest = line.slice(tab + 1);
      return { key: productKey + rest, productKey, rest };
    });
  }

  unit(split: SplitKey): UnitRow | undefined {
    return this.q.unit.get(split.productKey, split.rest) as UnitRow | undefined;
  }

  setUnitState(split: SplitKey, state: number): void {
    this.q.setUnitState.run(state, split.productKey, split.rest);
  }

  setContainerState(id: number, state: number): void {
    this.q.setContainerState.run(state, id);
  }

  /** A pallet's pending cases become checked in with it; opened ones stay opened. */
  checkInChildren(id: number): number {
    return this.q.checkInChildren.run(id).changes;
  }

  addException(noteId: number, key: string, reason: string, putAside: boolean, at: string): void {
    this.q.addException.run(noteId, key, reason, putAside ? 1 : 0, at);
  }

  exceptions(noteId: number): ExceptionRow[] {
    return (this.q.exceptions.all(noteId) as (Omit<ExceptionRow, 'putAside'> & { putAside: number })[]).map(
      (r) => ({ ...r, putAside: r.putAside === 1 }),
    );
  }

  /** The newest `limit` exceptions of a note, newest first (the receiving page's lines). */
  latestExceptions(noteId: number, limit: number): ExceptionRow[] {
    return (
      this.q.latestExceptions.all(noteId, limit) as (Omit<ExceptionRow, 'putAside'> & { putAside: number })[]
    ).map((r) => ({ ...r, putAside: r.putAside === 1 }));
  }

  /** How many exceptions a note has; with `foreign`, only codes not on it (what a client can grow). */
  exceptionCount(noteId: number, only?: 'foreign'): number {
    const q = only === 'foreign' ? this.q.foreignCount : this.q.exceptionCount;
    return (q.get(noteId) as { n: number }).n;
  }

  /**
   * A note's units that have a state of their own (scanned one by one, or put aside), by container:
   * with each container's state and unit count this gives the delivery's counts without reading
   * every unit (the receiving desk's `countsOf`).
   */
  ownStates(noteId: number): { container: number; state: number; n: number }[] {
    return this.q.ownStates.all(noteId) as { container: number; state: number; n: number }[];
  }

  /** Keys put aside on a note (units and containers). */
  putAsideKeys(noteId: number): Set<string> {
    return new Set((this.q.putAside.all(noteId) as { key: string }[]).map((r) => r.key));
  }

  /** Marks an open note closed; false when it was closed already. */
  close(
    noteId: number,
    outcome: 'complete' | 'partial',
    reason: string | null,
    at: string,
    receiptId: string,
    counts: object,
  ): boolean {
    return this.q.close.run(outcome, reason, at, receiptId, JSON.stringify(counts), noteId).changes === 1;
  }

  /** Drops a closed note's unit lists: its unit rows keep what stock needs. */
  clearUnitLists(noteId: number): void {
    this.q.clearLists.run(noteId);
  }

  /** A product's id, created if new (`seen`: this transaction's, so a rollback leaves no stale id). */
  private productId(key: string, seen: Map<string, number>): number {
    let id = seen.get(key);
    if (id === undefined) {
      this.q.insertProduct.run(key);
      id = (this.q.productId.get(key) as { id: number }).id;
      seen.set(key, id);
    }
    return id;
  }
}
