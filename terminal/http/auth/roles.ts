/**
 * Roles, weakest first. Each role can do everything the roles before it can:
 * kiosk (read verdicts, report a pack) < cashier (sell, write off) < manager (returns, health details, config).
 */
export const ROLES = ['kiosk', 'cashier', 'manager'] as const;
export type Role = (typeof ROLES)[number];

export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Who is calling: resolved once per request by the auth hook. */
export interface Principal {
  role: Role;
  /** Config user id (PIN sign-in) or token name. */
  name?: string;
  via: 'anonymous' | 'token' | 'session';
}
