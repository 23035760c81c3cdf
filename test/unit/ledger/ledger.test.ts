import { chmodSync, copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTerminalKey,
  loadOrCreateTerminalKey,
  type TerminalIdentity,
} from '../../../terminal/identity/index.js';
import { canonicalJson, GENESIS_HASH, Ledger, verifyChain } from '../../../terminal/ledger/index.js';
import { saleLine, salePayload } from '../../helpers/ledger-payloads.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let identity: TerminalIdentity;
let ledger: Ledger;
const file = () => join(temp.dir, 'ledger.db');

beforeEach(() => {
  temp = makeTempDir();
  identity = loadOrCreateTerminalKey(join(temp.dir, 'identity', 'key.pem'));
  ledger = Ledger.open({ file: file(), identity, storeId: 's1', terminalId: 't1' });
});
afterEach(() => {
  ledger.close();
  temp.cleanup();
});

function sell(code: string, saleRef = `ref-${code}`) {
  return ledger.transaction(() => {
    const sale = ledger.append('sale', salePayload([code], { externalRef: saleRef }));
    ledger.append('write_off', { codeKey: code, saleId: sale.id, line: 0 });
    return sale;
  });
}

describe('canonical JSON', () => {
  it('sorts keys, drops undefined members, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [3, { y: 'x', x: undefined, w: null }], c: 'é"' })).toBe(
      '{"a":[3,{"w":null,"y":"x"}],"b":1,"c":"é\\""}',
    );
  });
  it('writes a value the same whether its keys come sorted (JSON.stringify path) or not', () => {
    // Seeded generator: nested objects and arrays of awkward strings and numbers.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const strings = [
      '',
      'a',
      'é"\\',
      '\u0001\n',
      '感冒灵',
      '😀',
      '\ud800',
      'zh-CN',
      'en',
      '10',
      '9',
      '__proto_',
    ];
    const numbers = [0, -0, 1, -1.5, 1e21, 1e-7, 2 ** 53 - 1, 0.1];
    const value = (depth: number): unknown => {
      const pick = next();
      if (depth > 3 || pick < 0.3) return strings[Math.floor(next() * strings.length)];
      if (pick < 0.5) return numbers[Math.floor(next() * numbers.length)];
      if (pick < 0.55) return next() < 0.5 ? null : next() < 0.5;
      if (pick < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(next() * 6); i > 0; i--) {
        object[strings[Math.floor(next() * strings.length)]!] = next() < 0.1 ? undefined : value(depth + 1);
      }
      return object;
    };
    const rebuild = (v: unknown, order: (keys: string[]) => string[]): unknown => {
      if (Array.isArray(v)) return v.map((item) => rebuild(item, order));
      if (v === null || typeof v !== 'object') return v;
      const out: Record<string, unknown> = {};
      for (const key of order(Object.keys(v))) out[key] = rebuild((v as Record<string, unknown>)[key], order);
      return out;
    };
    let sortedPaths = 0;
    for (let i = 0; i < 500; i++) {
      const v = value(0);
      const sorted = rebuild(v, (keys) => [...keys].sort());
      const reversed = rebuild(v, (keys) => [...keys].sort().reverse());
      const text = canonicalJson(reversed);
      expect(canonicalJson(sorted)).toBe(text);
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(sorted)));
      // Integer-like keys ('9', '10') are enumerated first whatever the insertion order.
      if (JSON.stringify(sorted) === text) sortedPaths++;
    }
    expect(sortedPaths).toBeGreaterThan(300);
  });

  it('refuses values JSON cannot carry, naming where', () => {
    expect(() => canonicalJson({ a: { b: Number.NaN } })).toThrow(/\$\.a\.b: expected a finite number/);
    expect(() => canonicalJson({ b: 1, a: Number.POSITIVE_INFINITY })).toThrow(
      /\$\.a: expected a finite number/,
    );
    expect(() => canonicalJson({ a: 1, b: () => 1 })).toThrow(/\$\.b: expected JSON data, got function/);
    expect(() => canonicalJson({ a: [new Date(0)] })).toThrow(/plain object, got Date/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/plain object, got Date/);
    expect(() => canonicalJson({ n: 1n })).toThrow(/JSON data, got bigint/);
  });
});

describe('Ledger', () => {
  it('appends a gap-free, hash-linked, signed chain with an outbox row per record', () => {
    const a = ledger.append('alert', { kind: 'suspicious_report', codeKey: 'k1', note: 'torn seal' });
    const b = ledger.append('alert', { kind: 'unknown_code', codeKey: 'k2' });
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 2, headSeq: 2, headHash: b.hash });
    expect(ledger.pending(0, 10).map((r) => r.id)).toEqual([a.id, b.id]);
    expect(ledger.record(a.id)).toEqual(a);
    expect(ledger.stats()).toEqual({ pending: 2, oldestPendingAt: a.at, lastAckedSeq: 0 });
  });

  it('acknowledges up to a sequence and never goes back or ahead', () => {
    for (let i = 0; i < 5; i++) ledger.append('alert', { kind: 'suspicious_report', codeKey: `k${i}` });
    ledger.acknowledge(3);
    expect(ledger.pending(0, 10).map((r) => r.seq)).toEqual([4, 5]);
    expect(ledger.pending(4, 10).map((r) => r.seq)).toEqual([5]);
    ledger.acknowledge(2);
    expect(ledger.stats()).toMatchObject({ pending: 2, lastAckedSeq: 3 });
    expect(() => ledger.acknowledge(9)).toThrow(/ends at 5/);
    expect(ledger.records(0, 100)).toHaveLength(5);
  });

  it('commits a sale and its write-offs together or not at all', () => {
    const sale = sell('c1');
    expect(ledger.writeOffOf('c1')).toMatchObject({ saleId: sale.id, storeId: 's1', terminalId: 't1' });
    expect(() =>
      ledger.transaction(() => {
        const s = ledger.append('sale', { lines: [saleLine('L')] });
        ledger.append('write_off', { codeKey: 'c2', saleId: s.id, line: 0 });
        throw new Error('printer exploded');
      }),
    ).toThrow('printer exploded');
    expect(ledger.headSeq()).toBe(2);
    expect(ledger.writeOffOf('c2')).toBeUndefined();
    expect(ledger.stats().pending).toBe(2);
  });

  it('an inner transaction that rolls back leaves no trace in the chain', () => {
    const kept = ledger.transaction(() => {
      ledger.append('alert', { kind: 'suspicious_report', n: 1 });
      try {
        ledger.transaction(() => {
          ledger.append('alert', { kind: 'suspicious_report', n: 2 });
          throw new Error('undo inner');
        });
      } catch {}
      return ledger.append('alert', { kind: 'suspicious_report', n: 3 });
    });
    expect(kept.seq).toBe(2);
    expect(ledger.records(0, 10).map((r) => r.payload.n)).toEqual([1, 3]);
    expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 2 });
  });

  it('rolls back the level of an append that failed half-way, even when the error was caught', () => {
    sell('c1');
    // The write_off record row is written before its projection refuses the second write-off;
    // appends have no savepoint of their own, so the enclosing level must not commit it.
    let inner: unknown;
    const kept = ledger.transaction(() => {
      ledger.append('alert', { kind: 'suspicious_report', n: 1 });
      try {
        ledger.transaction(() => {
          try {
            ledger.append('write_off', { codeKey: 'c1', saleId: 'x', line: 0 });
          } catch {}
          ledger.append('alert', { kind: 'suspicious_report', n: 2 });
        });
      } catch (error) {
        inner = error;
      }
      return ledger.append('alert', { kind: 'suspicious_report', n: 3 });
    });
    expect(inner).toMatchObject({ code: 'ledger_append_failed' });
    expect(kept.seq).toBe(4);
    expect(ledger.records(2, 10).map((r) => r.payload.n)).toEqual([1, 3]);
    expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 4 });
    expect(() =>
      ledger.transaction(() => {
        try {
          ledger.append('write_off', { codeKey: 'c1', saleId: 'x', line: 0 });
        } catch {}
      }),
    ).toThrow(expect.objectContaining({ code: 'ledger_append_failed' }));
    expect(ledger.headSeq()).toBe(4);
    // A payload refused before any row was written does not spoil the transaction.
    const after = ledger.transaction(() => {
      expect(() => ledger.append('write_off', { saleId: 'x', line: 0 })).toThrow(/codeKey/);
      return ledger.append('alert', { kind: 'suspicious_report', n: 5 });
    });
    expect(after.seq).toBe(5);
  });

  it('refuses a second active write-off of a code at the database level', () => {
    sell('c1');
    expect(() => sell('c1', 'other')).toThrow(expect.objectContaining({ code: 'already_written_off' }));
    expect(ledger.headSeq()).toBe(2);
    expect(ledger.saleByExternalRef('other')).toBeUndefined();
  });

  it('a return re-activates a code without deleting its write-off record', () => {
    const sale = sell('c1');
    const wo = ledger.writeOffOf('c1')!;
    ledger.append('return', {
      approvedBy: 'm1',
      lines: [{ codeKey: 'c1', saleId: sale.id, writeOffId: wo.writeOffId, writeOffSeq: wo.writeOffSeq }],
    });
    expect(ledger.writeOffOf('c1')).toBeUndefined();
    expect(ledger.record(wo.writeOffId)?.type).toBe('write_off');
    expect(ledger.sale(sale.id)?.writeOffs).toHaveLength(1);
    const again = sell('c1', 'second');
    expect(ledger.writeOffOf('c1')?.saleId).toBe(again.id);
    expect(() =>
      ledger.append('return', {
        approvedBy: 'm1',
        lines: [{ codeKey: 'c1', saleId: sale.id, writeOffId: wo.writeOffId, writeOffSeq: wo.writeOffSeq }],
      }),
    ).toThrow(expect.objectContaining({ code: 'not_written_off' }));
  });

  it('records are append-only: UPDATE and DELETE are refused by the database', () => {
    ledger.append('alert', { kind: 'suspicious_report' });
    expect(() => ledger.db.prepare("UPDATE ledger_records SET payload = '{}'").run()).toThrow(
      /ledger_append_only/,
    );
    expect(() => ledger.db.prepare('DELETE FROM ledger_records').run()).toThrow(/ledger_append_only/);
  });

  it('detects an altered record, a removed record and a foreign signature', () => {
    for (let i = 0; i < 4; i++) sell(`c${i}`);
    ledger.close();
    const tampered = join(temp.dir, 'tampered.db');
    copyFileSync(file(), tampered);
    const raw = new Database(tampered);
    raw.exec('DROP TRIGGER ledger_records_no_update; DROP TRIGGER ledger_records_no_delete');
    raw.prepare(`UPDATE ledger_records SET payload = replace(payload, 'c2', 'c9') WHERE seq = 5`).run();
    raw.close();
    const t = Ledger.open({ file: tampered, identity, storeId: 's1', terminalId: 't1' });
    expect(t.verifyChain()).toMatchObject({ ok: false, seq: 5, problem: 'hash_mismatch' });
    t.close();
    ledger = Ledger.open({ file: file(), identity, storeId: 's1', terminalId: 't1' });
    const other = createTerminalKey(join(temp.dir, 'other.pem'));
    expect(verifyChain(ledger.iterate(), other.publicKeyPem)).toMatchObject({
      ok: false,
      seq: 1,
      problem: 'bad_signature',
    });
    const records = [...ledger.iterate()];
    records.splice(3, 1);
    expect(verifyChain(records, identity.publicKeyRaw)).toMatchObject({
      ok: false,
      seq: 5,
      problem: 'seq_gap',
    });
  });

  it('verifies incrementally after a record already checked', () => {
    for (let i = 0; i < 6; i++) ledger.append('alert', { kind: 'suspicious_report', n: i });
    const third = ledger.recordAt(3)!;
    expect(ledger.verifyChain(undefined, { after: { seq: 3, hash: third.hash } })).toMatchObject({
      ok: true,
      records: 3,
    });
    expect(ledger.verifyChain(undefined, { after: { seq: 3, hash: 'f'.repeat(64) } })).toMatchObject({
      ok: false,
      seq: 4,
      problem: 'prev_hash_mismatch',
    });
  });

  it('refuses to continue a chain with a different terminal key', () => {
    ledger.append('alert', { kind: 'suspicious_report' });
    const other = createTerminalKey(join(temp.dir, 'other.pem'));
    expect(() => Ledger.open({ file: file(), identity: other, storeId: 's1', terminalId: 't1' })).toThrow(
      expect.objectContaining({ code: 'ledger_key_mismatch' }),
    );
  });

  it('two connections on one file interleave into one valid chain', () => {
    const second = Ledger.open({ file: file(), identity, storeId: 's1', terminalId: 't1' });
    for (let i = 0; i < 20; i++)
      (i % 2 === 0 ? ledger : second).append('alert', { kind: 'suspicious_report', n: i });
    second.close();
    expect(ledger.verifyChain()).toMatchObject({ ok: true, records: 20 });
  });
});

describe('terminal identity', () => {
  it('creates the key with mode 0600, reloads the same key, never prints the private half', () => {
    const keyFile = join(temp.dir, 'identity', 'key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const again = loadOrCreateTerminalKey(keyFile);
    expect(again.publicKeyRaw).toBe(identity.publicKeyRaw);
    const pem = readFileSync(keyFile, 'utf8');
    const body = pem.split('\n')[1]!;
    expect(JSON.stringify(identity)).not.toContain(body);
    expect(inspect(identity, { showHidden: true, depth: 5 })).not.toContain(body);
    expect(Object.keys(identity)).not.toContain('sign');
  });
  it('refuses a key file others can read', () => {
    const keyFile = join(temp.dir, 'identity', 'key.pem');
    chmodSync(keyFile, 0o644);
    expect(() => loadOrCreateTerminalKey(keyFile)).toThrow(
      expect.objectContaining({ code: 'identity_key_permissions' }),
    );
  });
});
