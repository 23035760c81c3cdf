import type { ApiResponse } from '../../../terminal/http/wire-types.js';
import { getToken, setToken } from '../shell/api.js';

/** The error body of a refused sale or return: code, message and (for 409) one entry per refused line. */
export interface CheckoutError {
  code: string;
  message: string;
  refused?: { line: number; reason: string; verdict?: string; message: string; overridable?: boolean }[];
}

export type Result<T> = { ok: true; data: T } | { ok: false; status: number; error: CheckoutError };

/**
 * POST with the cashier's session token (or `bearer`), keeping the whole error body: checkout needs
 * the per-line refusals that `api()` from the shell does not carry. A 401 ends the session.
 */
export async function postJson<T>(path: string, body: unknown, bearer = getToken()): Promise<Result<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    return {
      ok: false,
      status: 0,
      error: { code: 'network', message: error instanceof Error ? error.message : String(error) },
    };
  }
  const parsed = (await res.json().catch(() => undefined)) as ApiResponse<T> | undefined;
  if (!parsed)
    return { ok: false, status: res.status, error: { code: 'bad_response', message: `HTTP ${res.status}` } };
  if (parsed.status === 'ok') return { ok: true, data: parsed.data };
  if (res.status === 401 && bearer === getToken()) setToken(undefined);
  return { ok: false, status: res.status, error: parsed.error as CheckoutError };
}
