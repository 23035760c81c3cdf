import type {
  AcceptView,
  ProductStockView,
  ShipmentParams,
  ShipmentView,
  SignInResponse,
  StockRecordView,
  StockScanAnswerView,
  StockSessionView,
  StocktakeRecordsView,
  StocktakeReportView,
} from '../../../terminal/http/wire-types.js';
import { ApiFailure, api, getToken } from '../shell/api.js';

// The stock API (terminal/http/routes/stock-routes.ts, docs/stock.md) with the clerk's session
// token. Failures throw ApiFailure (shell/api.ts); a 401 clears the token and the page signs in again.

const take = (id: string) => `/api/v1/stocktakes/${encodeURIComponent(id)}`;
const ship = (id: string) => `/api/v1/shipments/${encodeURIComponent(id)}`;

export const stockApi = {
  counts: () => api<ProductStockView[]>('/api/v1/stock'),
  me: () => api<{ role: SignInResponse['role']; name: string | null }>('/api/v1/auth/me'),
  stocktakes: () => api<StockSessionView[]>('/api/v1/stocktakes'),
  stocktake: (id: string) => api<StockSessionView>(take(id)),
  openStocktake: (scope: 'all' | string[]) =>
    api<StockSessionView>('/api/v1/stocktakes', { body: { scope } }),
  scanStocktake: (id: string, codes: string[]) =>
    api<StockScanAnswerView[]>(`${take(id)}/scans`, { body: { codes } }),
  report: (id: string) => api<StocktakeReportView>(`${take(id)}/report`),
  records: (id: string) => api<StocktakeRecordsView>(`${take(id)}/records`),
  closeStocktake: (id: string) => api<StockRecordView>(`${take(id)}/close`, { body: {} }),
  /** With a manager's token when a manager approved on the clerk's handheld. */
  accept: (id: string, reason: string, token?: string) =>
    api<AcceptView>(`${take(id)}/accept`, { body: { reason }, ...(token ? { token } : {}) }),
  openShipment: (params: ShipmentParams) => api<StockSessionView>('/api/v1/shipments', { body: params }),
  shipment: (id: string) => api<ShipmentView>(ship(id)),
  scanShipment: (id: string, codes: string[]) =>
    api<StockScanAnswerView[]>(`${ship(id)}/scans`, { body: { codes } }),
  removeFromShipment: (id: string, codes: string[]) =>
    api<StockScanAnswerView[]>(`${ship(id)}/removals`, { body: { codes } }),
  closeShipment: (id: string) => api<StockRecordView>(`${ship(id)}/close`, { body: {} }),
  cancelShipment: (id: string) => api<StockSessionView>(`${ship(id)}/cancel`, { body: {} }),
};

/**
 * A manager's approval on the clerk's handheld, as the checkout asks for one: the manager's user
 * and PIN sign in a second session (never stored), `use` runs with its token, and it is signed out.
 * Refused (`not_manager`) when the PIN is a cashier's.
 */
export async function withManager<T>(
  user: string,
  pin: string,
  use: (token: string) => Promise<T>,
): Promise<T> {
  const session = await api<SignInResponse>('/api/v1/auth/sign-in', { body: { user, pin }, token: '' });
  try {
    if (session.role !== 'manager') throw new ApiFailure('not_manager', 'Needs a manager', 403);
    return await use(session.token);
  } finally {
    void api('/api/v1/auth/sign-out', { body: {}, token: session.token }).catch(() => undefined);
  }
}

/** The stocktake's differences as a CSV file the browser saves (the API needs the bearer token). */
export async function downloadCsv(id: string): Promise<void> {
  const token = getToken();
  const res = await fetch(`${take(id)}/csv`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiFailure('csv_failed', `HTTP ${res.status}`, res.status);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `stocktake-${id}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
