import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEMO_DELIVERY_ID } from '../../../terminal/demo/demo-delivery.js';
import { type RunningDemo, startDemo } from '../../../terminal/demo/start-demo.js';
import type {
  DeliveryView,
  ReceivingDemoLabel,
  ReceivingStep,
  WsMessage,
} from '../../../terminal/http/wire-types.js';
import { silentLogger } from '../../../terminal/logger.js';
import { importDeliveryNote } from '../../../terminal/receiving/import-note.js';
import { SyncStore } from '../../../terminal/sync/sync-store.js';
import { cn20, noteOf, signNote, upstreamKeys } from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/**
 * The receiving API on the `npm start` stack without its upstream link (all of receiving is local):
 * the clerk's journey through HTTP, and an attacker's: anonymous and kiosk callers, malformed bodies,
 * floods.
 */
const tokens = { kiosk: secret(), cashier: secret(), manager: secret() };
const D = `/api/v1/receiving/deliveries/${DEMO_DELIVERY_ID}`;
let tmp: ReturnType<typeof makeTempDir>;
let demo: RunningDemo;
let url: string;
let labels: ReceivingDemoLabel[];
const label = (kind: ReceivingDemoLabel['kind'], i = 0) => labels.filter((l) => l.kind === kind)[i]!.data;

beforeAll(async () => {
  tmp = makeTempDir('vt-receiving-http-');
  demo = await startDemo({
    logger: silentLogger(),
    dataDir: tmp.dir,
    port: 0,
    buildUi: false,
    config: {
      auth: {
        tokens: (['kiosk', 'cashier', 'manager'] as const).map((role) => ({
          name: `${role}-token`,
          role,
          sha256: createHash('sha256').update(tokens[role]).digest('hex'),
        })),
      },
    },
  });
  url = demo.terminal.url;
  labels = demo.receivingLabels;
}, 120_000);
afterAll(async () => {
  await demo?.stop();
  tmp?.cleanup();
});

function secret(): string {
  return randomBytes(32).toString('base64url');
}

async function call(method: string, path: string, body?: unknown, bearer?: string, raw?: string) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test helper returns loosely typed JSON bodies
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}
const clerk = (path: string, body?: unknown) =>
  call(body === undefined ? 'GET' : 'POST', path, body, tokens.cashier);
const view = async (): Promise<DeliveryView> => (await clerk(D)).body.data;

/** Another open delivery on the demo terminal, signed by a test key (trusted for this import). */
function importNote(deliveryId: string, units: string[]): void {
  const keys = upstreamKeys();
  const now = Date.now();
  const { store } = demo.terminal.receiving;
  const storeId = demo.terminal.config.terminal.storeId;
  const imported = importDeliveryNote(
    signNote(noteOf({ deliveryId, units }), keys.privateKey, {
      target: { storeId },
      issuedAt: new Date(now - 60_000).toISOString(),
      expiresAt: new Date(now + 3_600_000).toISOString(),
    }),
    {
      store,
      nonces: new SyncStore(store.db),
      keys: [keys.publicKey],
      storeId,
      maxClockSkewMs: 60_000,
      nowMs: now,
    },
  );
  expect(imported.ok).toBe(true);
}

/** A WebSocket on /api/v1/ws collecting what it is sent. */
async function listen(token?: string): Promise<{ messages: WsMessage[]; socket: WebSocket }> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/v1/ws${token ? `?token=${token}` : ''}`);
  const messages: WsMessage[] = [];
  socket.on('message', (raw: Buffer) => messages.push(JSON.parse(raw.toString('utf8')) as WsMessage));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { messages, socket };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('receiving API: who may call it', () => {
  const routes: [string, string, unknown?][] = [
    ['GET', '/api/v1/receiving/deliveries'],
    ['GET', '/api/v1/receiving/demo-labels'],
    ['GET', D],
    ['POST', `${D}/scan`, { data: '' }],
    ['POST', `${D}/open-container`, { data: '' }],
    ['POST', `${D}/put-aside`, { data: '', reason: 'damaged' }],
    ['POST', `${D}/close`, { outcome: 'partial', reason: 'x' }],
  ];

  it('refuses anonymous callers (kiosk role) and kiosk tokens with 403, a bad token with 401, and changes nothing', async () => {
    const before = await view();
    const pallet = label('pallet');
    for (const [method, path, body] of routes) {
      const real = body && typeof body === 'object' && 'data' in body ? { ...body, data: pallet } : body;
      const anonymous = await call(method, path, real);
      expect(anonymous.status, `${method} ${path} anonymous`).toBe(403);
      expect(anonymous.body.error.code).toBe('forbidden');
      const kiosk = await call(method, path, real, tokens.kiosk);
      expect(kiosk.status, `${method} ${path} kiosk`).toBe(403);
      const forged = await call(method, path, real, secret());
      expect(forged.status, `${method} ${path} unknown token`).toBe(401);
    }
    expect(await view()).toEqual(before);
    // A manager is above a cashier: allowed.
    expect((await call('GET', D, undefined, tokens.manager)).status).toBe(200);
  });
});

describe('receiving API: the demo delivery end to end', () => {
  it('lists the demo delivery, checks in pallet, case and unit, flags foreign and recalled, closes partial', async () => {
    const list = await clerk('/api/v1/receiving/deliveries');
    expect(list.status).toBe(200);
    expect(list.body.data.deliveries).toEqual([
      expect.objectContaining({
        deliveryId: DEMO_DELIVERY_ID,
        state: 'open',
        counts: { expected: 15, received: 0, missing: 15, putAside: 0, extra: 0 },
      }),
    ]);
    expect((await clerk('/api/v1/receiving/demo-labels')).body.data.labels).toEqual(labels);

    const scan = async (data: string): Promise<ReceivingStep> => {
      const r = await clerk(`${D}/scan`, { data });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.data;
    };
    const pallet = await scan(label('pallet'));
    expect(pallet.answer).toMatchObject({ ok: true, action: 'checked_in', target: 'pallet', checkedIn: 6 });
    expect(pallet.delivery.counts).toEqual({ expected: 15, received: 6, missing: 9, putAside: 0, extra: 0 });
    // Case 2-1: the third case label (pallet 1 has cases 1-1 and 1-2).
    const kase = await scan(label('case', 2));
    expect(kase.answer).toMatchObject({ ok: true, target: 'case', checkedIn: 3 });
    const unit = await scan(label('unit'));
    expect(unit.answer).toMatchObject({ ok: true, target: 'unit', checkedIn: 1 });
    const again = await scan(label('pallet'));
    expect(again.answer).toMatchObject({
      ok: true,
      action: 'none',
      problems: [{ code: 'already_checked_in' }],
    });
    const foreign = await scan(label('foreign_case'));
    expect(foreign.answer).toMatchObject({ ok: false, action: 'none', problems: [{ code: 'foreign' }] });
    const recalled = await scan(label('recalled_unit'));
    expect(recalled.answer).toMatchObject({
      ok: false,
      action: 'checked_in',
      problems: [{ code: 'recalled' }],
    });
    expect(recalled.delivery.counts).toEqual({
      expected: 15,
      received: 11,
      missing: 4,
      putAside: 0,
      extra: 1,
    });
    expect(recalled.delivery.exceptions.map((e) => [e.reason, e.putAside])).toEqual([
      ['recalled', false],
      ['foreign', false],
    ]);

    const aside = await clerk(`${D}/put-aside`, { data: label('recalled_unit'), reason: 'recalled' });
    expect(aside.body.data.answer).toMatchObject({ ok: true, action: 'put_aside', target: 'unit' });
    expect(aside.body.data.delivery.counts).toEqual({
      expected: 15,
      received: 10,
      missing: 4,
      putAside: 1,
      extra: 1,
    });
    expect(aside.body.data.delivery.exceptions[0]).toMatchObject({ reason: 'recalled', putAside: true });

    // Case 2-2 opened: its label then says so, and its units count one by one.
    const open = await clerk(`${D}/open-container`, { data: label('case', 3) });
    expect(open.body.data.answer).toMatchObject({ ok: true, action: 'opened', target: 'case' });
    expect((await scan(label('case', 3))).answer.problems).toEqual([
      expect.objectContaining({ code: 'container_opened' }),
    ]);
    const notContainer = await clerk(`${D}/open-container`, { data: label('unit', 1) });
    expect(notContainer.body.data.answer.problems[0].code).toBe('not_a_container');
    expect((await view()).counts).toEqual({ expected: 15, received: 10, missing: 4, putAside: 1, extra: 1 });

    const complete = await clerk(`${D}/close`, { outcome: 'complete' });
    expect(complete.status).toBe(409);
    expect(complete.body.error.code).toBe('delivery_incomplete');
    const noReason = await clerk(`${D}/close`, { outcome: 'partial', reason: '   ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toContain('reason');
    const closed = await clerk(`${D}/close`, { outcome: 'partial', reason: 'pallet 2 one case short' });
    expect(closed.status).toBe(200);
    expect(closed.body.data.delivery).toMatchObject({
      state: 'closed',
      outcome: 'partial',
      reason: 'pallet 2 one case short',
    });
    const record = demo.terminal.ledger.record(closed.body.data.receiptId);
    expect(record).toMatchObject({
      type: 'receipt',
      payload: { deliveryId: DEMO_DELIVERY_ID, outcome: 'partial' },
    });
    // No upstream link in this stack: the receipt waits in the outbox, to flow once a link is there.
    expect(demo.terminal.ledger.pending(0, 1000).map((r) => r.id)).toContain(closed.body.data.receiptId);

    const late = await scan(label('case', 3));
    expect(late.answer).toMatchObject({ ok: false, problems: [{ code: 'delivery_closed' }] });
    expect((await clerk(`${D}/close`, { outcome: 'partial', reason: 'again' })).body.error.code).toBe(
      'delivery_closed',
    );
    expect((await view()).counts).toEqual({ expected: 15, received: 10, missing: 4, putAside: 1, extra: 1 });
  });
});

describe('receiving API: live updates', () => {
  it('pushes a changed delivery to cashier-level pages over the WebSocket, never to kiosk pages', async () => {
    importNote('PUSH-1', [cn20(7001), cn20(7002)]);
    const cashier = await listen(tokens.cashier);
    const kiosk = await listen();
    try {
      const r = await clerk('/api/v1/receiving/deliveries/PUSH-1/scan', { data: cn20(7001) });
      expect(r.body.data.answer.checkedIn).toBe(1);
      await until('the receiving push', () => cashier.messages.some((m) => m.type === 'receiving'));
      expect(cashier.messages.find((m) => m.type === 'receiving')).toEqual({
        type: 'receiving',
        data: {
          deliveryId: 'PUSH-1',
          state: 'open',
          counts: { expected: 2, received: 1, missing: 1, putAside: 0, extra: 0 },
        },
      });
      // A kiosk-lane verdict sent after it reaches the kiosk page: the push before it did not.
      await call('POST', '/api/v1/demo/scan', { data: label('unit') });
      await until('the kiosk verdict', () => kiosk.messages.some((m) => m.type === 'verdict'));
      expect(kiosk.messages.map((m) => m.type)).not.toContain('receiving');
    } finally {
      cashier.socket.close();
      kiosk.socket.close();
    }
  });
});

describe('receiving API: bad input is named and changes nothing', () => {
  it('names the field of every malformed body, the bad id, the unknown delivery', async () => {
    const before = await view();
    const cases: [string, unknown, string, string][] = [
      [`${D}/scan`, {}, 'bad_request', 'data'],
      [`${D}/scan`, { data: '' }, 'bad_request', 'data'],
      [`${D}/scan`, { data: 42 }, 'bad_request', 'data'],
      [`${D}/scan`, { data: 'x'.repeat(513) }, 'bad_request', 'data'],
      [`${D}/scan`, { data: label('unit'), extra: 1 }, 'bad_request', 'extra'],
      [`${D}/put-aside`, { data: label('unit') }, 'bad_request', 'reason'],
      [`${D}/put-aside`, { data: label('unit'), reason: 'lost' }, 'bad_request', 'reason'],
      [`${D}/close`, { outcome: 'done' }, 'bad_request', 'outcome'],
      [`${D}/close`, { outcome: 'partial' }, 'bad_request', 'reason'],
      [`${D}/close`, { outcome: 'partial', reason: 'r'.repeat(501) }, 'bad_request', 'reason'],
      [
        '/api/v1/receiving/deliveries/..%2Fetc/scan',
        { data: label('unit') },
        'bad_delivery_id',
        'deliveryId',
      ],
      ['/api/v1/receiving/deliveries/NO-SUCH/scan', { data: label('unit') }, 'delivery_unknown', 'NO-SUCH'],
    ];
    for (const [path, body, code, names] of cases) {
      const r = await clerk(path, body);
      expect(r.body.error?.code, `${path} ${JSON.stringify(body).slice(0, 60)}`).toBe(code);
      expect(r.status).toBe(code === 'delivery_unknown' ? 404 : 400);
      expect(r.body.error.message).toContain(names);
    }
    const notJson = await call('POST', `${D}/scan`, undefined, tokens.cashier, '{"data":');
    expect([notJson.status, notJson.body.error.code]).toEqual([400, 'bad_json']);
    const huge = await call(
      'POST',
      `${D}/scan`,
      undefined,
      tokens.cashier,
      JSON.stringify({ data: 'x'.repeat(70_000) }),
    );
    expect([huge.status, huge.body.error.code]).toEqual([413, 'body_too_large']);
    expect(await view()).toEqual(before);
  });

  it('bounds a flood of scans: past the burst it answers 429 with Retry-After and stores nothing of the refused ones', async () => {
    // A second open delivery; 150 different foreign codes at once against a bucket of 40 (20 a second).
    importNote('FLOOD-1', [cn20(1)]);
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        clerk('/api/v1/receiving/deliveries/FLOOD-1/scan', { data: cn20(50_000 + i) }),
      ),
    );
    const refused = answers.filter((a) => a.status === 429);
    const done = answers.filter((a) => a.status === 200);
    expect(refused.length + done.length).toBe(150);
    expect(refused.length).toBeGreaterThan(0);
    expect(done.length).toBeLessThan(150);
    expect(refused[0]!.body.error.code).toBe('rate_limited');
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Each admitted scan recorded its one foreign code; the refused ones nothing.
    const { store } = demo.terminal.receiving;
    const note = store.noteByDeliveryId('FLOOD-1')!;
    expect(store.exceptionCount(note.id, 'foreign')).toBe(done.length);
  });
});
