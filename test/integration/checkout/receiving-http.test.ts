import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertPayload } from '../../../terminal/ledger/payloads.js';
import { deliverInto } from '../../helpers/receive-into.js';
import { sscc } from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code } from './checkout-fixture.js';
import { call, PINS, startCheckoutServer } from './http-fixture.js';

/**
 * receiving.mode enforce over HTTP (real server, auth, ledger, receiving tables): who may approve a
 * unit this store never received, and what the anonymous kiosk learns about a received one.
 */

let temp: ReturnType<typeof makeTempDir>;
let server: Awaited<ReturnType<typeof startCheckoutServer>>;
const post = (path: string, body: unknown, bearer?: string) => call(server.url, 'POST', path, body, bearer);
const cashier = () => server.tokens.cashier;

beforeAll(async () => {
  temp = makeTempDir();
  server = await startCheckoutServer({ dir: temp.dir, receivingMode: 'enforce' });
  const session = deliverInto(server.t, {
    deliveryId: 'ASN-0042',
    supplier: { id: 'SUP-7', name: '华东医药' },
    cases: [{ sscc: sscc(1), units: [code(1), code(2)] }],
    units: [code(3)],
  });
  session.scan(`00${sscc(1)}`);
  session.close({ outcome: 'partial', reason: 'loose unit missing' });
});
afterAll(async () => {
  await server.close();
  temp.cleanup();
});

const diversions = () =>
  server.t.ledger
    .records(0, 1000)
    .filter((r) => r.type === 'alert' && (r.payload as AlertPayload).kind === 'diversion');

describe('enforce: approving a unit never received', () => {
  it('refuses it without an approval (409, overridable) and files a diversion', async () => {
    const res = await post('/api/v1/sales', { lines: [{ data: code(500) }] }, cashier());
    expect(res).toMatchObject({
      status: 409,
      body: {
        error: { code: 'lines_refused', refused: [{ line: 0, reason: 'not_received', overridable: true }] },
      },
    });
    expect(diversions()).toHaveLength(1);
  });

  it('a cashier cannot approve it: not with its own PIN, not with its own token, not with a wrong manager PIN', async () => {
    const before = diversions().length;
    for (const approval of [
      { user: 'c1', pin: PINS.cashier },
      { token: cashier() },
      { user: 'm1', pin: '0000' },
      { token: server.tokens.kiosk },
    ]) {
      const res = await post(
        '/api/v1/sales',
        { lines: [{ data: code(500), override: { reason: 'trust me', approval } }] },
        cashier(),
      );
      expect(res, JSON.stringify(approval)).toMatchObject({
        status: 403,
        body: { error: { code: 'approval_refused' } },
      });
    }
    // Refused before anything was decided: no sale, no write-off, no extra alert.
    expect(server.t.ledger.writeOffOf(code(500))).toBeUndefined();
    expect(diversions()).toHaveLength(before);
  });

  it('the cashier cannot switch the mode from the lane: the sale and check bodies take no such field', async () => {
    for (const [path, body] of [
      ['/api/v1/sales', { lines: [{ data: code(500) }], receiving: { mode: 'off' } }],
      ['/api/v1/sales', { lines: [{ data: code(500), mode: 'warn' }] }],
      ['/api/v1/checkout/check', { data: code(500), mode: 'off' }],
    ] as const) {
      expect(await post(path, body, cashier())).toMatchObject({
        status: 400,
        body: { error: { code: 'bad_request' } },
      });
    }
    expect((await post('/api/v1/checkout/check', { data: code(500) }, cashier())).body.data).toMatchObject({
      decision: 'overridable',
      reason: 'not_received',
    });
  });

  it("sells it on a manager's PIN, the approver and reason on the line, and files the diversion", async () => {
    const before = diversions().length;
    const res = await post(
      '/api/v1/sales',
      {
        lines: [
          { data: code(1) },
          {
            data: code(500),
            override: { reason: 'invoice checked', approval: { user: 'm1', pin: PINS.manager } },
          },
        ],
      },
      cashier(),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data.lines).toEqual([
      expect.not.objectContaining({ flag: expect.anything() }),
      expect.objectContaining({ flag: 'not_received', override: { by: 'm1', reason: 'invoice checked' } }),
    ]);
    expect(diversions()).toHaveLength(before + 1);
    expect(diversions().at(-1)!.payload).toMatchObject({
      codeKey: code(500),
      attempt: { cashier: 'cashier-token' },
    });
  });
});

describe('the kiosk (anonymous) sees a received unit’s supplier and day, nothing more', () => {
  it('verify answers received { supplier, at } for a received unit only', async () => {
    const res = await post('/api/v1/verify', { data: code(2) });
    expect(res.status).toBe(200);
    expect(res.body.data.received).toEqual({ supplier: '华东医药', at: expect.stringMatching(/^2\d{3}-/) });
    const text = JSON.stringify(res.body);
    // Never the delivery id, the supplier id or the note's state.
    for (const secret of ['ASN-0042', 'SUP-7', 'partial', 'loose unit missing'])
      expect(text).not.toContain(secret);
    // Expected but never checked in, and never on a note: no receiving info at all.
    for (const data of [code(3), code(501)]) {
      const other = await post('/api/v1/verify', { data });
      expect(other.body.data.verdict).toBe('genuine');
      expect(Object.keys(other.body.data)).not.toContain('received');
      expect(JSON.stringify(other.body)).not.toContain('ASN-0042');
    }
  });
});
