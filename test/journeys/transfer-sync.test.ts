/**
 * Issue 19's judged transfer journey on the real stack (test/journeys/lib): two stores' terminals as
 * their own processes (the production `veriterm run`), a spawned mosquitto, the reference upstream.
 * Store S1 receives a delivery over MQTT and checks it in through the receiving API; its manager
 * ships two units out as a transfer to S2; the `stock_out` record syncs; upstream sends S2's only
 * terminal the transfer note (docs/stock.md "Transfers end to end"); S2 checks it in and closes it;
 * S2's stock holds the units and S1's does not; S1's checkout refuses a transferred unit
 * (`shipped_out`, no alert) and S2's sells it. Then S2 is offline when a second transfer is
 * ingested: the note waits at the broker in S2's persistent session (upstream's own resend is held
 * off here, so only the broker can deliver it), arrives when the link returns, and S2's receipt
 * reaches upstream exactly once.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { CODE_BY_NAME } from './lib/registry-fixture.js';
import { type StoreDayStack as Stack, StoreDayStack, until } from './lib/stack.js';
import { PINS, type TerminalProcess } from './lib/terminal-process.js';

const key = (name: string) => CODE_BY_NAME.get(name)!.key!;

describe.skipIf(!hasSystemTool('mosquitto'))('a transfer from store S1 received at store S2', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let stack: Stack;
  const managers = new Map<TerminalProcess, string>();

  beforeAll(async () => {
    tmp = makeTempDir('vt-journey-transfer-');
    stack = await StoreDayStack.start(join(tmp.dir, 'stack'), ['S1', 'S2'], {
      // No resend on S2's return: the offline case proves the broker's persistent session alone
      // delivers the note (the resend path is test/unit/upstream/transfer-forwarder.test.ts's).
      upstreamOptions: { transfers: { retryDelayMs: 600_000, timeoutMs: 120_000 } },
    });
    for (const s of stack.stores) {
      const signIn = await s.terminal.call<{ token: string }>('POST', '/api/v1/auth/sign-in', {
        user: 'm1',
        pin: PINS.manager,
      });
      expect(signIn.body.status).toBe('ok');
      if (signIn.body.status === 'ok') managers.set(s.terminal, signIn.body.data.token);
    }
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    tmp?.cleanup();
  });

  const terminal = (storeId: string) => stack.store(storeId).terminal;
  async function call<T = unknown>(storeId: string, method: string, path: string, body?: unknown) {
    const t = terminal(storeId);
    const answer = await t.call<T>(method, path, body, managers.get(t));
    if (answer.body.status !== 'ok')
      throw new Error(`${method} ${path} at ${storeId}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.data;
  }
  /** The receiving clerk's way: every unit scanned, then the delivery closed complete. */
  async function checkIn(storeId: string, deliveryId: string, units: string[]): Promise<void> {
    for (const u of units) {
      const scan = await call<{ answer: { action: string } }>(
        storeId,
        'POST',
        `/api/v1/receiving/deliveries/${deliveryId}/scan`,
        { data: u },
      );
      expect(scan.answer.action).toBe('checked_in');
    }
    await call(storeId, 'POST', `/api/v1/receiving/deliveries/${deliveryId}/close`, { outcome: 'complete' });
  }
  /** S1's manager ships `units` to S2 as a transfer; returns the delivery id S2 will receive. */
  async function transfer(units: string[]): Promise<string> {
    const open = await call<{ id: string }>('S1', 'POST', '/api/v1/shipments', {
      kind: 'transfer',
      reason: 'rebalance',
      toStoreId: 'S2',
    });
    await call('S1', 'POST', `/api/v1/shipments/${open.id}/scans`, { codes: units });
    await call('S1', 'POST', `/api/v1/shipments/${open.id}/close`);
    return `TR-${open.id}`;
  }
  const stockState = async (storeId: string, unit: string) =>
    (await call<{ state: string; onHand: boolean }>(storeId, 'GET', `/api/v1/stock/units/${unit}`)).state;
  const transferRow = async (deliveryId: string) =>
    (await stack.upstream.transfers.list()).find((t) => t.deliveryId === deliveryId);
  const receiptsOf = async (deliveryId: string) =>
    (await stack.upstream.deliveries.log.list({ storeId: 'S2' })).notes
      .filter((n) => n.deliveryId === deliveryId)
      .flatMap((n) => n.receipts)
      .filter((r, i, all) => all.findIndex((x) => x.recordId === r.recordId) === i);
  const receivedEvents = (unit: string) =>
    (
      stack.upstreamDb
        .prepare("SELECT store_id AS storeId FROM up_unit_events WHERE key = ? AND status = 'received'")
        .all(unit) as { storeId: string }[]
    ).map((e) => e.storeId);
  const alertsAt = (storeId: string) =>
    terminal(storeId)
      .records()
      .filter((r) => r.type === 'alert');

  it('S1 receives, ships a transfer to S2; upstream sends S2 the note; S2 checks it in and sells; S1 refuses', async () => {
    const units = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map(key);
    const outcome = await stack.upstream.deliveries.send(
      { storeId: 'S1', terminalId: 'T1' },
      {
        deliveryId: 'ASN-S1-1',
        supplier: { id: 'sup-1', name: 'Wholesaler One' },
        expectedArrival: new Date().toISOString(),
        units,
      },
      { timeoutMs: 60_000 },
    );
    expect(outcome).toMatchObject({ status: 'accepted', units: 6 });
    await checkIn('S1', 'ASN-S1-1', units);

    const deliveryId = await transfer([key('a1'), key('a2')]);
    expect(await stockState('S1', key('a1'))).toBe('transferred');
    // The record syncs; upstream sends the note to S2's only terminal, which accepts it.
    await until(
      async () => (await transferRow(deliveryId))?.state === 'delivered',
      'the transfer note delivered to S2',
      {
        state: async () => ({
          transfers: await stack.upstream.transfers.list(),
          log: stack.upstreamLogTail(),
        }),
      },
    );
    expect(await transferRow(deliveryId)).toMatchObject({
      toStore: 'S2',
      terminalId: 'T2',
      units: 2,
      attempts: 1,
    });
    const atS2 = await call<{ deliveryId: string; supplierName?: string }[]>(
      'S2',
      'GET',
      '/api/v1/receiving/deliveries',
    );
    expect(JSON.stringify(atS2)).toContain(deliveryId);

    await checkIn('S2', deliveryId, [key('a1'), key('a2')]);
    expect(await stockState('S2', key('a1'))).toBe('on_hand');
    expect(await stockState('S2', key('a2'))).toBe('on_hand');
    expect(await stockState('S1', key('a2'))).toBe('transferred');

    // S1's checkout refuses a transferred unit at once, with its reason and no clone alert.
    const s1Check = await terminal('S1').check(key('a1'));
    expect(s1Check.body).toMatchObject({
      status: 'ok',
      data: { reason: 'shipped_out', sellable: false, overridable: false },
    });
    const s1Sale = await terminal('S1').sale({ lines: [{ data: key('a1') }] });
    expect(s1Sale.body).toMatchObject({ status: 'error' });
    expect(JSON.stringify(s1Sale.body)).toContain('shipped_out');
    expect(alertsAt('S1')).toEqual([]);
    // S1 still sells what it kept; S2 sells what it received.
    expect((await terminal('S1').sale({ lines: [{ data: key('a5') }] })).body).toMatchObject({
      status: 'ok',
    });
    const s2Sale = await terminal('S2').sale({ lines: [{ data: key('a1') }] });
    expect(s2Sale.body).toMatchObject({ status: 'ok', data: { writeOffs: [{ codeKey: key('a1') }] } });

    await stack.settle();
    expect(await receiptsOf(deliveryId)).toHaveLength(1);
    expect((await receiptsOf(deliveryId))[0]).toMatchObject({ outcome: 'complete', acceptedUnits: 2 });
    expect(receivedEvents(key('a1')).sort()).toEqual(['S1', 'S2']);
  });

  it('S2 offline when the transfer is ingested: the note arrives when it returns; its receipt reaches upstream once', async () => {
    stack.setLink('S2', false);
    const deliveryId = await transfer([key('a3'), key('a4')]);
    // S1's record is ingested and the note sent while S2 is away: no outcome yet.
    await until(
      async () => (await transferRow(deliveryId))?.attempts === 1,
      'the note sent to S2 while offline',
    );
    expect(await transferRow(deliveryId)).toMatchObject({ state: 'pending', terminalId: 'T2' });
    const before = await call<unknown[]>('S2', 'GET', '/api/v1/receiving/deliveries');
    expect(JSON.stringify(before)).not.toContain(deliveryId);

    stack.setLink('S2', true);
    await until(
      async () => (await transferRow(deliveryId))?.state === 'delivered',
      'the queued note delivered on return',
      {
        state: async () => ({
          transfers: await stack.upstream.transfers.list(),
          log: stack.upstreamLogTail(),
        }),
      },
    );
    // One send: the broker's persistent session delivered it (upstream's resend was held off).
    expect((await transferRow(deliveryId))?.attempts).toBe(1);
    await checkIn('S2', deliveryId, [key('a3'), key('a4')]);
    await stack.settle();
    expect(await receiptsOf(deliveryId)).toHaveLength(1);
    expect(receivedEvents(key('a3')).sort()).toEqual(['S1', 'S2']);
    expect(await stockState('S2', key('a3'))).toBe('on_hand');
    expect((await terminal('S1').check(key('a4'))).body).toMatchObject({ data: { reason: 'shipped_out' } });
    // Every transfer note answered once: no second note for either record.
    expect((await stack.upstream.deliveries.log.list({ storeId: 'S2' })).notes.map((n) => n.status)).toEqual([
      'accepted',
      'accepted',
    ]);
  });
});
