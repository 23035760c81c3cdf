import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { gs1CheckDigit } from '../../terminal/codes/check-digit.js';
import { openDatabase, type SqliteDatabase } from '../../terminal/db/open-database.js';
import { identityFromPrivateKey, type TerminalIdentity } from '../../terminal/identity/terminal-key.js';
import { Ledger } from '../../terminal/ledger/ledger.js';
import { ReceivingSession } from '../../terminal/receiving/checkin-service.js';
import { type ImportResult, importDeliveryNote } from '../../terminal/receiving/import-note.js';
import type { DeliveryNoteInput, UnsignedDeliveryNote } from '../../terminal/receiving/note-format.js';
import { ReceivingStore } from '../../terminal/receiving/receiving-store.js';
import {
  MemoryRegistry,
  type MemoryRegistryContents,
} from '../../terminal/registry/testing/memory-registry.js';
import type { RegistryReader } from '../../terminal/registry/types.js';
import { signCommand } from '../../terminal/sync/command-signing.js';
import { SyncStore } from '../../terminal/sync/sync-store.js';

/** An SSCC (18 digits, check digit included) from a number: extension 0, company prefix 0614141. */
export function sscc(n: number): string {
  const body = `00614141${String(n).padStart(9, '0')}`;
  return body + gs1CheckDigit(body);
}

/** A cn20 unit code: product `6900001` + product index, serial from `n`, a fixed check tail. */
export function cn20(n: number, product = 0): string {
  return `${6_900_001 + product}${String(n).padStart(9, '0')}0000`;
}

/** A pallet of `cases` × `perCase` cn20 units numbered from `first` (the note's unit input). */
export function pallet(id: number, cases: number, perCase: number, first: number, product = 0) {
  return {
    sscc: sscc(id),
    cases: Array.from({ length: cases }, (_, c) => ({
      sscc: sscc(id * 1000 + c + 1),
      units: Array.from({ length: perCase }, (_, u) => cn20(first + c * perCase + u, product)),
    })),
  };
}

export const STORE = 's1';
export const TERMINAL = 't1';
export const NOW = Date.parse('2026-12-07T10:00:00Z');

export interface UpstreamKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function upstreamKeys(): UpstreamKeys {
  return generateKeyPairSync('ed25519');
}

let nonce = 0;
/** A note signed as upstream signs it (Ed25519 over canonicalJson, like a downlink command). */
export function signNote(
  note: DeliveryNoteInput,
  key: KeyObject,
  overrides: Partial<UnsignedDeliveryNote> = {},
): Record<string, unknown> {
  const unsigned: UnsignedDeliveryNote = {
    v: 1,
    kind: 'delivery_note',
    id: `note-msg-${process.pid}-${++nonce}-${Math.random().toString(36).slice(2, 8)}`,
    target: { storeId: STORE },
    issuedAt: new Date(NOW - 60_000).toISOString(),
    expiresAt: new Date(NOW + 86_400_000).toISOString(),
    note,
    ...overrides,
  };
  return signCommand(unsigned, key);
}

export function noteOf(parts: Partial<DeliveryNoteInput> & { deliveryId: string }): DeliveryNoteInput {
  return {
    supplier: { id: 'sup-1', name: 'Wholesaler One' },
    expectedArrival: '2026-12-07T09:00:00Z',
    ...parts,
  };
}

/** A terminal database with ledger, receiving store and sync nonces on one connection. */
export class ReceivingRig {
  readonly db: SqliteDatabase;
  readonly ledger: Ledger;
  readonly store: ReceivingStore;
  readonly nonces: SyncStore;
  registry: RegistryReader;

  constructor(
    readonly file: string,
    readonly identity: TerminalIdentity,
    readonly keys: UpstreamKeys,
    registry: MemoryRegistryContents = { products: [], batches: [], units: [] },
  ) {
    this.db = openDatabase(file);
    this.ledger = new Ledger({
      db: this.db,
      identity,
      storeId: STORE,
      terminalId: TERMINAL,
      clock: () => new Date(NOW),
    });
    this.store = new ReceivingStore(this.db);
    this.nonces = new SyncStore(this.db);
    this.registry = new MemoryRegistry(registry);
  }

  static create(dir: string, keys = upstreamKeys(), registry?: MemoryRegistryContents): ReceivingRig {
    const identity = identityFromPrivateKey(generateKeyPairSync('ed25519').privateKey);
    return new ReceivingRig(join(dir, 'terminal.db'), identity, keys, registry);
  }

  import(raw: unknown, nowMs = NOW): ImportResult {
    return importDeliveryNote(raw, {
      store: this.store,
      nonces: this.nonces,
      keys: [this.keys.publicKey],
      storeId: STORE,
      maxClockSkewMs: 60_000,
      nowMs,
    });
  }

  session(deliveryId: string): ReceivingSession {
    return new ReceivingSession(
      { store: this.store, ledger: this.ledger, registry: this.registry, clock: () => new Date(NOW) },
      deliveryId,
    );
  }

  /** Rows in every receiving table and the nonce table: "nothing left behind" compares these. */
  footprint(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of [
      'receiving_notes',
      'receiving_products',
      'receiving_containers',
      'receiving_units',
      'receiving_exceptions',
      'receiving_unit_lists',
      'sync_command_nonces',
      'ledger_records',
    ]) {
      out[t] = (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    }
    return out;
  }

  close(): void {
    this.ledger.close();
    this.db.close();
  }
}
