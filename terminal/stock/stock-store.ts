import type { SqliteDatabase } from '../db/open-database.js';
import { VeritermError } from '../errors.js';
import { StockReader } from '../receiving/stock.js';
import { migrateStock } from './schema.js';
import type { StockMove } from './unit-state.js';

export type SessionType = 'stocktake' | 'stock_out';

/** Open sessions of one type at a time: each is a row a caller could otherwise add without end. */
export const MAX_OPEN_SESSIONS = 50;
export type SessionState = 'open' | 'closed' | 'accepted' | 'cancelled';

export interface SessionRow {
  id: string;
  type: SessionType;
  state: SessionState;
  /** JSON of the session's parameters (scope; kind, reason, counterpart). */
  params: string;
  openedBy: string;
  openedAt: string;
  closedAt: string | null;
  recordId: string | null;
  recordSeq: number | null;
  acceptedRecordId: string | null;
}

export interface SessionUnit {
  productKey: string;
  rest: string;
  bad: string | null;
}

const SESSION_COLUMNS = `id, type, state, params, opened_by AS openedBy, opened_at AS openedAt,
  closed_at AS closedAt, record_id AS recordId, record_seq AS recordSeq, accepted_record_id AS acceptedRecordId`;

/**
 * Stock operations' SQL on terminal.db's one connection (the ledger's), so a caller's ledger
 * transaction covers these writes too. No method opens a transaction: the services decide what
 * commits together.
 */
export class StockStore {
  readonly reader: StockReader;
  private readonly q;

  constructor(readonly db: SqliteDatabase) {
    migrateStock(db);
    this.reader = new StockReader(db);
    this.q = {
      insertProduct: db.prepare('INSERT OR IGNORE INTO receiving_products (key) VALUES (?)'),
      productId: db.prepare('SELECT id FROM receiving_products WHERE key = ?'),
      setMove: db.prepare(
        `INSERT INTO stock_moves (product, rest, state, found_in, seq) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (product, rest) DO UPDATE SET state = excluded.state,
           found_in = MAX(found_in, excluded.found_in), seq = excluded.seq`,
      ),
      insertSession: db.prepare(
        'INSERT INTO stock_sessions (id, type, params, opened_by, opened_at) VALUES (?, ?, ?, ?, ?)',
      ),
      session: db.prepare(`SELECT ${SESSION_COLUMNS} FROM stock_sessions WHERE id = ?`),
      sessions: db.prepare(
        `SELECT ${SESSION_COLUMNS} FROM stock_sessions WHERE type = ? ORDER BY opened_at DESC, id DESC LIMIT ?`,
      ),
      close: db.prepare(
        `UPDATE stock_sessions SET state = 'closed', closed_at = ?, record_id = ?, record_seq = ?
         WHERE id = ? AND state = 'open'`,
      ),
      cancel: db.prepare(
        `UPDATE stock_sessions SET state = 'cancelled', closed_at = ? WHERE id = ? AND state = 'open'`,
      ),
      accept: db.prepare(
        `UPDATE stock_sessions SET state = 'accepted', accepted_record_id = ? WHERE id = ? AND state = 'closed'`,
      ),
      openCount: db.prepare("SELECT count(*) AS n FROM stock_sessions WHERE type = ? AND state = 'open'"),
      countUnit: db.prepare('UPDATE stock_sessions SET units = units + ? WHERE id = ?'),
      addUnit: db.prepare(
        'INSERT OR IGNORE INTO stock_session_units (session, product, rest, bad) VALUES (?, ?, ?, ?)',
      ),
      removeUnit: db.prepare(
        'DELETE FROM stock_session_units WHERE session = ? AND product = ? AND rest = ?',
      ),
      units: db.prepare(
        `SELECT p.key AS productKey, s.rest, s.bad FROM stock_session_units s
         JOIN receiving_products p ON p.id = s.product WHERE s.session = ? ORDER BY s.product, s.rest`,
      ),
      unitCount: db.prepare('SELECT units AS n FROM stock_sessions WHERE id = ?'),
      addContainer: db.prepare(
        'INSERT OR IGNORE INTO stock_session_containers (session, container) VALUES (?, ?)',
      ),
      containers: db.prepare('SELECT container FROM stock_session_containers WHERE session = ?'),
      containerKeys: db.prepare(
        `SELECT key FROM receiving_containers WHERE id IN (SELECT container FROM stock_session_containers WHERE session = ?)
         ORDER BY id`,
      ),
      removeContainer: db.prepare('DELETE FROM stock_session_containers WHERE session = ? AND container = ?'),
      containerByKey: db.prepare('SELECT id, level, units FROM receiving_containers WHERE key = ?'),
      children: db.prepare('SELECT id, units FROM receiving_containers WHERE parent = ?'),
      unitsOfContainers: db.prepare(
        `SELECT p.key AS productKey, u.rest FROM receiving_units u JOIN receiving_products p ON p.id = u.product
         WHERE u.container IN (SELECT value FROM json_each(?))`,
      ),
    };
  }

  /** A product's receiving id, made when new (a unit found on the shelf of a product never received). */
  productId(productKey: string): number {
    this.q.insertProduct.run(productKey);
    return (this.q.productId.get(productKey) as { id: number }).id;
  }

  /** A product's receiving id, or undefined when no unit of it was ever seen here. */
  knownProductId(productKey: string): number | undefined {
    return (this.q.productId.get(productKey) as { id: number } | undefined)?.id;
  }

  /** Records a unit's latest move (inside the transaction that appends its record). */
  setMove(productKey: string, rest: string, move: StockMove, foundIn: boolean, seq: number): void {
    this.q.setMove.run(this.productId(productKey), rest, move, foundIn ? 1 : 0, seq);
  }

  /** Opens a session; refused when MAX_OPEN_SESSIONS of its type are open (close or cancel one). */
  openSession(id: string, type: SessionType, params: object, openedBy: string, at: string): void {
    const open = (this.q.openCount.get(type) as { n: number }).n;
    if (open >= MAX_OPEN_SESSIONS)
      throw new VeritermError(
        'too_many_open_sessions',
        `${open} ${type === 'stocktake' ? 'stocktakes' : 'shipments'} are open already (at most ${MAX_OPEN_SESSIONS}): close or cancel one first`,
      );
    this.q.insertSession.run(id, type, JSON.stringify(params), openedBy, at);
  }

  session(id: string): SessionRow | undefined {
    return this.q.session.get(id) as SessionRow | undefined;
  }

  sessions(type: SessionType, limit = 50): SessionRow[] {
    return this.q.sessions.all(type, limit) as SessionRow[];
  }

  close(id: string, at: string, recordId: string, recordSeq: number): boolean {
    return this.q.close.run(at, recordId, recordSeq, id).changes === 1;
  }

  cancel(id: string, at: string): boolean {
    return this.q.cancel.run(at, id).changes === 1;
  }

  accept(id: string, recordId: string): boolean {
    return this.q.accept.run(recordId, id).changes === 1;
  }

  /** Adds a unit to a session; false when it was scanned in it already. */
  addUnit(session: string, productKey: string, rest: string, bad: string | null = null): boolean {
    const added = this.q.addUnit.run(session, this.productId(productKey), rest, bad).changes === 1;
    if (added) this.q.countUnit.run(1, session);
    return added;
  }

  removeUnit(session: string, productKey: string, rest: string): boolean {
    const id = this.q.productId.get(productKey) as { id: number } | undefined;
    const removed = id !== undefined && this.q.removeUnit.run(session, id.id, rest).changes === 1;
    if (removed) this.q.countUnit.run(-1, session);
    return removed;
  }

  units(session: string): SessionUnit[] {
    return this.q.units.all(session) as SessionUnit[];
  }

  unitCount(session: string): number {
    return (this.q.unitCount.get(session) as { n: number } | undefined)?.n ?? 0;
  }

  addContainer(session: string, containerId: number): boolean {
    return this.q.addContainer.run(session, containerId).changes === 1;
  }

  containers(session: string): Set<number> {
    return new Set((this.q.containers.all(session) as { container: number }[]).map((r) => r.container));
  }

  /** Keys of the containers scanned in a session. */
  containerKeys(session: string): string[] {
    return (this.q.containerKeys.all(session) as { key: string }[]).map((r) => r.key);
  }

  removeContainer(session: string, containerId: number): boolean {
    return this.q.removeContainer.run(session, containerId).changes === 1;
  }

  /** A pallet or case label on a note here: its id, and its cases' ids for a pallet. */
  container(key: string): { ids: number[]; units: number } | undefined {
    const c = this.q.containerByKey.get(key) as { id: number; level: string; units: number } | undefined;
    if (!c || c.level === 'loose') return undefined;
    const children = this.q.children.all(c.id) as { id: number; units: number }[];
    return {
      ids: [c.id, ...children.map((k) => k.id)],
      units: c.units + children.reduce((n, k) => n + k.units, 0),
    };
  }

  /**
   * The units listed under containers (a full read of receiving_units, which has no index by
   * container: rare, a shipment of sealed cases; docs/stock.md "Figures").
   */
  unitsOfContainers(ids: readonly number[]): { productKey: string; rest: string }[] {
    return this.q.unitsOfContainers.all(JSON.stringify(ids)) as { productKey: string; rest: string }[];
  }
}
