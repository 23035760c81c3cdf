import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagerReceiving } from '../../../terminal/http/wire-types.js';
import { CASHIER, MANAGER, type ManagerRig, startManagerRig } from '../../e2e/manager-fixture.js';
import { stockDemoDeliveries } from '../../helpers/demo-deliveries.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/**
 * GET /api/v1/manager/receiving on a terminal built by startTerminal from config (receiving.mode
 * warn): stock counts, open and closed deliveries with the clerk's counts, and the discrepancies
 * (exceptions of recent deliveries, diversions filed by checkout). Manager only.
 */

let tmp: ReturnType<typeof makeTempDir>;
let rig: ManagerRig;
const tokens = { manager: '', cashier: '' };
let stock: ReturnType<typeof stockDemoDeliveries>;

async function signIn(who: { user: string; pin: string }): Promise<string> {
  const res = await fetch(`${rig.terminal.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(who),
  });
  return ((await res.json()) as { data: { token: string } }).data.token;
}

const call = (method: string, path: string, token?: string, body?: unknown) =>
  fetch(`${rig.terminal.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

beforeAll(async () => {
  tmp = makeTempDir('veriterm-manager-receiving-');
  rig = await startManagerRig({ dir: tmp.dir, receivingMode: 'warn' });
  tokens.manager = await signIn(MANAGER);
  tokens.cashier = await signIn(CASHIER);
  stock = stockDemoDeliveries(rig.terminal, rig.codes);
}, 60_000);
afterAll(async () => {
  await rig?.stop();
  tmp?.cleanup();
});

describe('manager receiving view', () => {
  it('is the manager’s only: a cashier gets 403, a caller without a token 401', async () => {
    expect((await call('GET', '/api/v1/manager/receiving', tokens.cashier)).status).toBe(403);
    expect([401, 403]).toContain((await call('GET', '/api/v1/manager/receiving')).status);
  });

  it('shows stock, deliveries with the clerk’s counts, exceptions and a diversion sold at checkout', async () => {
    // Warn: the third genuine pack was never received here; it sells with a note and an alert.
    const { unreceived } = stock;
    const sale = await call('POST', '/api/v1/sales', tokens.cashier, { lines: [{ data: unreceived }] });
    expect(sale.status).toBe(201);
    expect(((await sale.json()) as { data: { lines: { flag?: string }[] } }).data.lines[0]!.flag).toBe(
      'not_received',
    );
    const res = await call('GET', '/api/v1/manager/receiving', tokens.manager);
    expect(res.status).toBe(200);
    const data = ((await res.json()) as { data: ManagerReceiving }).data;
    expect(data.mode).toBe('warn');
    // Received: the two in the case (ASN-1) and the locked unit scanned on the open ASN-2.
    expect(data.stock).toMatchObject({ received: 3, sold: 0, onHand: 3 });
    expect(data.stock.top[0]).toMatchObject({ names: { en: expect.any(String) } });
    expect(data.deliveries).toEqual([
      expect.objectContaining({
        deliveryId: 'ASN-2',
        supplier: 'Wholesaler Two',
        state: 'open',
        counts: { expected: 2, received: 1, missing: 1, putAside: 0, extra: 1 },
      }),
      expect.objectContaining({
        deliveryId: 'ASN-1',
        state: 'closed',
        outcome: 'complete',
        counts: { expected: 3, received: 2, missing: 0, putAside: 1, extra: 0 },
      }),
    ]);
    expect(data.discrepancies.exceptions.map((e) => [e.deliveryId, e.reason, e.putAside])).toEqual([
      ['ASN-2', 'foreign', false],
      ['ASN-1', 'recalled', true],
    ]);
    expect(data.discrepancies.diversions).toEqual([
      expect.objectContaining({
        state: 'not_received',
        cashier: 'c1',
        note: expect.stringContaining('sale '),
      }),
    ]);
  });
});
