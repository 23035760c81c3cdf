import { z } from 'zod';
import { terminalTopics } from '../terminal/sync/topics.js';

/**
 * Terminal-initiated revocation (decommission): the terminal asks upstream to revoke its own
 * enrolment. The request is signed with the terminal's ledger key (Ed25519), the key upstream
 * verifies its records with, so nobody but the terminal can revoke it; a nonce and a timestamp
 * (within REVOKE_MAX_SKEW_MS of upstream's clock) keep a captured request from being replayed,
 * e.g. against a later re-enrolment of the same ids. It travels on the terminal's own prefix,
 * which the broker ACL lets only that terminal write and only upstream answer.
 */
export const REVOKE_PROTOCOL = 'veriterm-revoke-v1';

/** Requests older or newer than this (by upstream's clock) are refused as possible replays. */
export const REVOKE_MAX_SKEW_MS = 5 * 60_000;

export function revocationTopics(storeId: string, terminalId: string): { request: string; response: string } {
  const { prefix } = terminalTopics(storeId, terminalId);
  return { request: `${prefix}/revoke/req`, response: `${prefix}/revoke/res` };
}

/** What upstream subscribes to (shared by the ingest workers' group when set; MQTT 5 §4.8.2). */
export function revocationSubscription(group: string | undefined): string {
  return group ? `$share/${group}/vt/+/+/revoke/req` : 'vt/+/+/revoke/req';
}

export const revokeRequestSchema = z.object({
  v: z.literal(1),
  storeId: z.string().min(1).max(64),
  terminalId: z.string().min(1).max(64),
  nonce: z.string().regex(/^[0-9a-f]{32}$/, 'expected 16 random bytes as hex'),
  at: z.string().datetime(),
  /** Ed25519 over revocationMessage(…), base64. */
  signature: z.string().min(80).max(100),
});
export type RevokeRequest = z.infer<typeof revokeRequestSchema>;

export const revokeErrorCodes = [
  'bad_request',
  'not_enrolled',
  'bad_signature',
  'stale_request',
  'replayed',
  'revoke_failed',
] as const;
export type RevokeErrorCode = (typeof revokeErrorCodes)[number];

export const revokeResponseSchema = z.union([
  z.object({ v: z.literal(1), nonce: z.string(), status: z.literal('revoked'), revokedAt: z.string() }),
  z.object({
    v: z.literal(1),
    nonce: z.string(),
    status: z.literal('refused'),
    code: z.string(),
    message: z.string(),
  }),
]);
export type RevokeResponse = z.infer<typeof revokeResponseSchema>;

/** The signed bytes: protocol name and every field, one per line (ids cannot hold a newline: topic levels). */
export function revocationMessage(
  fields: Pick<RevokeRequest, 'storeId' | 'terminalId' | 'nonce' | 'at'>,
): Buffer {
  return Buffer.from(
    [REVOKE_PROTOCOL, fields.storeId, fields.terminalId, fields.nonce, fields.at].join('\n'),
    'utf8',
  );
}
