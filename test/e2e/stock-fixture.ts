import { expect } from 'vitest';
import { DEMO_DELIVERY_ID } from '../../terminal/demo/demo-delivery.js';
import type { RunningDemo } from '../../terminal/demo/start-demo.js';
import type { ProductStockView } from '../../terminal/http/wire-types.js';

/** The demo terminal's JSON API as one signed-in user (or a given token). */
export function apiAs(demo: RunningDemo, token: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${demo.terminal.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        status: string;
        data?: unknown;
        error?: { code: string; message: string };
      },
    };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body: unknown = {}) => call('POST', path, body),
  };
}

export async function signIn(demo: RunningDemo, role: 'cashier' | 'manager'): Promise<string> {
  const user = demo.users.find((u) => u.role === role)!;
  const res = await fetch(`${demo.terminal.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: user.id, pin: user.pin }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { token: string } }).data.token;
}

/**
 * Receives the demo delivery through the receiving API, as a clerk at the back door would: both
 * pallets, the two loose units and the recalled one (checked in, flagged), closed complete. The
 * store then holds its 15 units on hand.
 */
export async function receiveDemoDelivery(demo: RunningDemo, token: string): Promise<void> {
  const clerk = apiAs(demo, token);
  const base = `/api/v1/receiving/deliveries/${DEMO_DELIVERY_ID}`;
  const labels = demo.receivingLabels;
  const scans = [
    ...labels.filter((l) => l.kind === 'pallet'),
    ...labels.filter((l) => l.kind === 'unit').slice(0, 2),
    ...labels.filter((l) => l.kind === 'recalled_unit'),
  ];
  for (const l of scans) expect((await clerk.post(`${base}/scan`, { data: l.data })).status).toBe(200);
  const closed = await clerk.post(`${base}/close`, { outcome: 'complete' });
  expect(closed.status, JSON.stringify(closed.body)).toBe(200);
  expect(total(await stockRows(demo, token), 'onHand')).toBe(15);
}

/** Stock per product (GET /api/v1/stock), read with a cashier's token (sign-ins are rate limited). */
export async function stockRows(demo: RunningDemo, token: string): Promise<ProductStockView[]> {
  const res = await apiAs(demo, token).get('/api/v1/stock');
  expect(res.status).toBe(200);
  return res.body.data as ProductStockView[];
}

export const total = (rows: ProductStockView[], column: keyof Omit<ProductStockView, 'productKey'>) =>
  rows.reduce((n, r) => n + r[column], 0);
