import type { ApiResponse } from '../../../terminal/http/wire-types.js';

/** Session token for signed-in pages (checkout, manager); the kiosk needs none. */
const TOKEN_KEY = 'veriterm.token';

export function getToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A failed API call: `code` from the wire error (or `network`), `status` the HTTP status. */
export class ApiFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * Calls the terminal's JSON API with the session token (or `token`: a manager's approval for one
 * call); resolves to `data` or throws ApiFailure. A 401 on the session token clears it (session
 * expired) so pages fall back to their sign-in.
 */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; token?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  const token = init.token ?? getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (error) {
    throw new ApiFailure('network', error instanceof Error ? error.message : String(error), 0);
  }
  const body = (await res.json().catch(() => undefined)) as ApiResponse<T> | undefined;
  if (!body) throw new ApiFailure('bad_response', `HTTP ${res.status}`, res.status);
  if (body.status === 'error') {
    if (res.status === 401 && init.token === undefined) setToken(undefined);
    throw new ApiFailure(body.error.code, body.error.message, res.status);
  }
  return body.data;
}
