import type { Config as TerminalConfig } from '../terminal/config/index.js';
import type { TerminalIdentity } from '../terminal/identity/index.js';

/**
 * PLACEHOLDER (branch provflow): the real client is written on branch `upfield` (upstream
 * revocation), and the merge takes that file whole. Same signature; it never revokes, so
 * decommission reports "not revoked" with how to finish, as it must for any refusal.
 */
export async function requestRevocation(_opts: {
  config: TerminalConfig;
  identity: TerminalIdentity;
  timeoutMs?: number;
}): Promise<{ revoked: true } | { revoked: false; reason: string }> {
  return { revoked: false, reason: 'not implemented' };
}
