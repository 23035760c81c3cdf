import type { KeyObject } from 'node:crypto';
import { verifyCommandSignature } from './command-signing.js';
import { commandSchema, type SignedCommand } from './protocol.js';
import type { SyncStore } from './sync-store.js';

export type CommandCheck =
  | { ok: true; command: SignedCommand }
  | {
      ok: false;
      code:
        | 'malformed'
        | 'unsigned'
        | 'bad_signature'
        | 'wrong_target'
        | 'expired'
        | 'not_yet_valid'
        | 'replayed';
      message: string;
      id?: string;
    };

/**
 * Decides whether a downlink command may run: well-formed, signed by a trusted upstream key,
 * addressed to this terminal, inside its validity window (allowing clock skew), and never seen
 * before (its id is persisted, so a replay after a restart is refused too).
 */
export function checkCommand(
  raw: unknown,
  ctx: {
    keys: readonly KeyObject[];
    storeId: string;
    terminalId: string;
    maxClockSkewMs: number;
    store: SyncStore;
    nowMs: number;
  },
): CommandCheck {
  const id =
    typeof raw === 'object' && raw !== null && 'id' in raw
      ? String((raw as { id: unknown }).id).slice(0, 64)
      : undefined;
  if (typeof raw === 'object' && raw !== null && !('sig' in raw)) {
    return { ok: false, code: 'unsigned', message: 'command carries no signature', ...(id ? { id } : {}) };
  }
  const parsed = commandSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      code: 'malformed',
      message: parsed.error.issues[0]?.message ?? 'invalid',
      ...(id ? { id } : {}),
    };
  }
  const command = parsed.data;
  if (ctx.keys.length === 0 || !verifyCommandSignature(command, ctx.keys)) {
    return {
      ok: false,
      code: 'bad_signature',
      message: 'signature does not verify with a trusted upstream key',
      id: command.id,
    };
  }
  if (command.target.storeId !== ctx.storeId || command.target.terminalId !== ctx.terminalId) {
    return {
      ok: false,
      code: 'wrong_target',
      message: 'command addressed to another terminal',
      id: command.id,
    };
  }
  const issued = Date.parse(command.issuedAt);
  const expires = Date.parse(command.expiresAt);
  if (issued - ctx.maxClockSkewMs > ctx.nowMs) {
    return {
      ok: false,
      code: 'not_yet_valid',
      message: `issued in the future (${command.issuedAt})`,
      id: command.id,
    };
  }
  if (expires + ctx.maxClockSkewMs < ctx.nowMs) {
    return { ok: false, code: 'expired', message: `expired at ${command.expiresAt}`, id: command.id };
  }
  if (!ctx.store.claimNonce(command.id, expires + ctx.maxClockSkewMs, ctx.nowMs)) {
    return { ok: false, code: 'replayed', message: 'command id already seen', id: command.id };
  }
  return { ok: true, command };
}
