import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { createLogger } from '../../../terminal/logger.js';
import type { FeedAlert } from '../../../upstream/enforcement/feed-alert.js';
import { csvField } from '../../../upstream/enforcement/feed-csv.js';
import { parseFeedQuery, queryAlerts } from '../../../upstream/enforcement/feed-query.js';
import {
  type FeedServer,
  readFeedToken,
  startFeedServer,
} from '../../../upstream/enforcement/feed-server.js';
import { IngestStore } from '../../../upstream/ingest-store.js';
import { capturedIo } from '../../helpers/captured-io.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testTerminal } from './enforcement-fixture.js';

const CODES = ['01095012345678902110000000001', '01095012345678902110000000002', '12345670000000010000'];

const capture = capturedIo;

describe('the enforcement feed: queries, CLI, HTTP', () => {
  const tmp = makeTempDir('vt-feed-');
  const dataDir = join(tmp.dir, 'data');
  mkdirSync(dataDir);
  const dbFile = join(dataDir, 'upstream.db');
  const token = `${'f'.repeat(16)}${'e'.repeat(16)}0123456789abcdef`;
  let store: IngestStore;
  let all: FeedAlert[];
  let server: FeedServer;
  const readDb = () => openDatabase(dbFile, { readonly: true });

  beforeAll(async () => {
    const a = testTerminal('store-a', 'till-1');
    const b = testTerminal('store-b', 'till-1');
    const c = testTerminal('store-c', 'kiosk-1');
    store = new IngestStore(openDatabase(dbFile));
    for (const t of [a, b, c]) store.enrol(t.storeId, t.terminalId, t.publicKeyPem);
    // Clones: CODES[0] a→b, CODES[2] b→c. Reports at c (one with a spreadsheet formula in its note).
    a.sell([CODES[0]!]);
    b.sell([CODES[0]!, CODES[2]!]);
    c.sell([CODES[2]!]);
    c.alert({ kind: 'suspicious_report', codeKey: CODES[1], note: '=cmd|/C calc!A0, "seal" broken' });
    c.alert({ kind: 'diversion', codeKey: CODES[1], reason: 'not_received' });
    for (const t of [a, b, c]) store.ingest(t.storeId, t.terminalId, t.drain());
    all = queryAlerts(store.db, { limit: 500 }).alerts;
    writeFileSync(join(tmp.dir, 'token'), `${token}\n`, { mode: 0o600 });
    server = await startFeedServer(
      { db: readDb(), logger: createLogger({ level: 'silent' }) },
      { port: 0, token: readFeedToken(join(tmp.dir, 'token')) },
    );
  });
  afterAll(async () => {
    await server.stop();
    tmp.cleanup();
  });

  it('holds the clones and the reports, in detection order', () => {
    expect(all.map((x) => [x.kind, x.source, x.storeId, x.codes[0]])).toEqual([
      ['clone', 'upstream', 'store-b', CODES[0]],
      ['clone', 'upstream', 'store-c', CODES[2]],
      ['suspicious_report', 'terminal', 'store-c', CODES[1]],
      ['diversion', 'terminal', 'store-c', CODES[1]],
    ]);
  });

  it('filters by kind, either store of a clone, product, code, source and time; pages with a cursor', () => {
    const ids = (q: Parameters<typeof parseFeedQuery>[0]) =>
      queryAlerts(store.db, parseFeedQuery(q)).alerts.map((x) => x.id);
    const [c1, c2, report, diversion] = all.map((x) => x.id);
    expect(ids({ kind: ['clone'] })).toEqual([c1, c2]);
    expect(ids({ kind: ['suspicious_report', 'diversion'] })).toEqual([report, diversion]);
    expect(ids({ store: 'store-a' })).toEqual([c1]);
    expect(ids({ store: 'store-b' })).toEqual([c1, c2]);
    expect(ids({ product: '1234567' })).toEqual([c2]);
    expect(ids({ product: '0109501234567890' })).toEqual([c1, report, diversion]);
    expect(ids({ code: CODES[1] })).toEqual([report, diversion]);
    expect(ids({ source: 'terminal' })).toEqual([report, diversion]);
    expect(ids({ since: '2000-01-01', until: '2999-01-01' })).toHaveLength(4);
    expect(ids({ until: '2000-01-01' })).toEqual([]);
    expect(ids({ since: all[0]!.detectedAt })).toHaveLength(4);
    const first = queryAlerts(store.db, parseFeedQuery({ limit: '3' }));
    expect(first.next).toBe(all[2]!.id);
    expect(queryAlerts(store.db, parseFeedQuery({ limit: '3', after: String(first.next) }))).toEqual({
      alerts: [all[3]],
      next: null,
    });
  });

  it('refuses bad filters naming the field, the value and what was expected', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ limit: '100000' }, /limit: .*500.*got "100000"/],
      [{ limit: '0' }, /limit/],
      [{ limit: '-1' }, /limit: expected a whole number/],
      [{ since: 'yesterday' }, /since: expected an ISO date/],
      [{ since: '2026-13-45' }, /since: expected an ISO date/],
      [{ kind: ['clone', 'everything'] }, /kind/],
      [{ store: 'a\u0000b' }, /store: expected text without control characters/],
      [{ store: 'x'.repeat(600) }, /store/],
      [{ sort: 'id; DROP TABLE enf_alerts' }, /unknown filter 'sort'/],
    ];
    for (const [input, message] of bad) expect(() => parseFeedQuery(input)).toThrow(message);
  });

  it('treats injection in a filter as a value: nothing found, nothing changed', () => {
    for (const store_ of ["store-a' OR '1'='1", 'store-a" OR 1=1 --', "'); DROP TABLE enf_alerts; --"])
      expect(queryAlerts(store.db, parseFeedQuery({ store: store_ })).alerts).toEqual([]);
    expect(queryAlerts(store.db, {}).alerts).toHaveLength(4);
  });

  it('escapes CSV fields spreadsheets would run as formulas', () => {
    expect(csvField('=cmd|x')).toBe("'=cmd|x");
    expect(csvField('-1+2')).toBe("'-1+2");
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField(12)).toBe('12');
  });

  describe('veriterm upstream alerts and evidence verify', () => {
    it('prints every alert as JSON with its evidence, and as CSV', async () => {
      const json = capture();
      expect(await main(['upstream', 'alerts', '--data', dataDir], json.io)).toBe(0);
      expect(JSON.parse(json.out())).toEqual(all);
      const csv = capture();
      expect(
        await main(
          ['upstream', 'alerts', '--data', dataDir, '--kind', 'clone,diversion', '--format', 'csv'],
          csv.io,
        ),
      ).toBe(0);
      const lines = csv.out().trim().split('\r\n');
      expect(lines[0]).toBe(
        'id,detected_at,at,kind,source,store_id,terminal_id,seq,stores,terminals,codes,products,message,records',
      );
      expect(lines).toHaveLength(4);
      expect(lines[1]).toContain(`store-b store-a,store-b/till-1 store-a/till-1,${CODES[0]}`);
      expect(lines[1]).toContain(all[0]!.evidence.records[0]!.record.hash);
    });

    it('veriterm upstream refuses a half-configured feed before it connects anywhere', async () => {
      const base = ['upstream', '--broker', 'mqtt://127.0.0.1:1', '--data', dataDir];
      const half = capture();
      expect(await main([...base, '--feed-port', '8443'], half.io)).toBe(2);
      expect(half.err()).toContain('the feed needs both --feed-port N and --feed-token-file FILE');
      const port = capture();
      expect(
        await main([...base, '--feed-port', '99999', '--feed-token-file', join(tmp.dir, 'token')], port.io),
      ).toBe(2);
      expect(port.err()).toContain("--feed-port expected a port number (0-65535), got '99999'");
      const missing = capture();
      expect(
        await main([...base, '--feed-port', '8443', '--feed-token-file', join(tmp.dir, 'nope')], missing.io),
      ).toBe(2);
      expect(missing.err()).toContain('does not exist');
    });

    it('exits 2 naming a bad filter or format', async () => {
      const c = capture();
      expect(await main(['upstream', 'alerts', '--data', dataDir, '--since', 'soon'], c.io)).toBe(2);
      expect(c.err()).toContain('since: expected an ISO date');
      const f = capture();
      expect(await main(['upstream', 'alerts', '--data', dataDir, '--format', 'xml'], f.io)).toBe(2);
      expect(f.err()).toContain('--format expected json or csv');
    });

    it('verifies a saved case file offline, and fails a tampered one (exit 1)', async () => {
      const saved = capture();
      await main(['upstream', 'alerts', '--data', dataDir, '--kind', 'clone', '--limit', '1'], saved.io);
      const file = join(tmp.dir, 'case.json');
      writeFileSync(file, saved.out());
      const ok = capture();
      expect(await main(['upstream', 'evidence', 'verify', file], ok.io)).toBe(0);
      expect(ok.out()).toContain(`alert ${all[0]!.id}: VERIFIED`);
      expect(ok.out()).toMatch(/ok {2}earlier_sale store-a\/till-1 seq \d+: authentic/);
      const tampered = JSON.parse(readFileSync(file, 'utf8')) as FeedAlert[];
      tampered[0]!.evidence.records[1]!.record.at = '2001-01-01T00:00:00.000Z';
      const bad = join(tmp.dir, 'tampered.json');
      writeFileSync(bad, JSON.stringify(tampered));
      const no = capture();
      expect(await main(['upstream', 'evidence', 'verify', bad], no.io)).toBe(1);
      expect(no.out()).toContain('FAILED');
      expect(no.out()).toContain('expected authentic, found bad_hash');
      writeFileSync(bad, '{"not": "evidence"');
      const junk = capture();
      expect(await main(['upstream', 'evidence', 'verify', bad], junk.io)).toBe(1);
      expect(junk.out()).toContain('not JSON');
    });
  });

  describe('HTTP endpoint (attacker tests)', () => {
    const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      fetch(`${server.url}${path}`, { method, headers });
    const auth = { authorization: `Bearer ${token}` };

    it('answers the token holder with a page of alerts, one alert, or CSV', async () => {
      const res = await get('/v1/alerts?kind=clone&store=store-a', auth);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ status: 'ok', data: { alerts: [all[0]], next: null } });
      const one = await get(`/v1/alerts/${all[2]!.id}`, auth);
      expect(((await one.json()) as { data: FeedAlert }).data).toEqual(all[2]);
      const csv = await get('/v1/alerts?format=csv&kind=suspicious_report', auth);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect(await csv.text()).toContain(
        '"suspicious_report reported by store-c/kiosk-1: =cmd|/C calc!A0, ""seal"" broken"',
      );
      const paged = await get('/v1/alerts?limit=1', auth);
      expect(((await paged.json()) as { data: { next: number } }).data.next).toBe(all[0]!.id);
    });

    it('refuses without a token, with a wrong one, one of another length, or another scheme', async () => {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${token.slice(0, -1)}x` },
        { authorization: `Bearer ${token}${token}` },
        { authorization: 'Bearer ' },
        { authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}` },
        { authorization: token },
      ];
      for (const headers of attempts) {
        const res = await fetch(`${server.url}/v1/alerts`, { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
        const body = (await res.json()) as { status: string; data?: unknown };
        expect(body.status).toBe('error');
        expect(body.data).toBeUndefined();
      }
    });

    it('refuses huge limits, bad filters, repeated ones and injection with 400; writes are 405', async () => {
      const huge = await get('/v1/alerts?limit=1000000000', auth);
      expect(huge.status).toBe(400);
      expect(((await huge.json()) as { error: { message: string } }).error.message).toMatch(/limit/);
      expect((await get('/v1/alerts?since=now', auth)).status).toBe(400);
      expect((await get('/v1/alerts?store=a&store=b', auth)).status).toBe(400);
      expect((await get('/v1/alerts?format=xml', auth)).status).toBe(400);
      expect((await get('/v1/alerts?order=id%3B%20DROP%20TABLE%20enf_alerts', auth)).status).toBe(400);
      const injected = await get(`/v1/alerts?store=${encodeURIComponent("x' OR 1=1 --")}`, auth);
      expect(((await injected.json()) as { data: { alerts: unknown[] } }).data.alerts).toEqual([]);
      expect((await get('/v1/alerts', auth, 'POST')).status).toBe(405);
      expect((await get('/v1/alerts', auth, 'DELETE')).status).toBe(405);
      expect((await get('/v1/records', auth)).status).toBe(404);
      expect((await get('/v1/alerts/999999', auth)).status).toBe(404);
      expect((await get(`/v1/alerts?code=${'9'.repeat(5000)}`, auth)).status).toBe(414);
      // Still all there.
      const res = await get('/v1/alerts', auth);
      expect(((await res.json()) as { data: { alerts: unknown[] } }).data.alerts).toHaveLength(4);
    });

    it('answers 429 to an address that keeps guessing, the token holder elsewhere still served', async () => {
      const guesser = await startFeedServer(
        { db: readDb(), logger: createLogger({ level: 'silent' }) },
        { port: 0, token },
      );
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 25; i++)
          statuses.push(
            (await fetch(`${guesser.url}/v1/alerts`, { headers: { authorization: `Bearer guess-${i}` } }))
              .status,
          );
        expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
        expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
        // The same address is now held off even with the right token (the window has to pass).
        expect((await fetch(`${guesser.url}/v1/alerts`, { headers: auth })).status).toBe(429);
        // The main server (its own limiter) still answers the token holder.
        expect((await get('/v1/alerts', auth)).status).toBe(200);
      } finally {
        await guesser.stop();
      }
    });

    it('refuses to start with a short token, and names a token file that is short', () => {
      const file = join(tmp.dir, 'short');
      writeFileSync(file, 'secret\n');
      chmodSync(file, 0o600);
      expect(() => readFeedToken(file)).toThrow(/at least 32 characters/);
      expect(() => readFeedToken(file)).not.toThrow(/secret/);
      expect(() => readFeedToken(join(tmp.dir, 'missing'))).toThrow(/Cannot read the feed token file/);
      return expect(
        startFeedServer(
          { db: readDb(), logger: createLogger({ level: 'silent' }) },
          { port: 0, token: 'short' },
        ),
      ).rejects.toThrow(/at least 32/);
    });
  });
});
