import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Config } from '../terminal/config/index.js';
import type { TerminalIdentity } from '../terminal/identity/index.js';
import { syncOptionsFromConfig } from '../terminal/sync/options-from-config.js';
import {
  type RevokeRequest,
  revocationMessage,
  revocationTopics,
  revokeResponseSchema,
} from '../upstream/revocation-protocol.js';
import { connect, terminalTarget } from './enrol-client.js';

export type RevocationOutcome = { revoked: true } | { revoked: false; reason: string };

/**
 * Asks upstream to revoke this terminal's enrolment (decommission): a request signed with the
 * terminal's ledger key on `vt/{store}/{terminal}/revoke/req`, answered on `…/revoke/res`
 * (upstream/revocation-protocol.ts). Upstream then refuses the terminal's records and has the
 * broker refuse its login. Never throws: every failure is `{ revoked: false, reason }` naming what
 * went wrong (no sync section, broker unreachable or refusing, no answer in time, upstream's refusal).
 */
export async function requestRevocation(opts: {
  config: Config;
  identity: TerminalIdentity;
  timeoutMs?: number;
}): Promise<RevocationOutcome> {
  const { storeId, terminalId } = opts.config.terminal;
  if (!opts.config.sync)
    return { revoked: false, reason: 'the config has no sync section: no upstream to tell' };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let client: MqttClient;
  try {
    const sync = syncOptionsFromConfig(opts.config.sync);
    client = await connect(
      terminalTarget(sync, timeoutMs),
      // Brokers with use_username_as_clientid replace it by the login anyway.
      `${sync.clientId ?? `vt-${storeId}-${terminalId}`}-revoke`,
    );
  } catch (error) {
    return { revoked: false, reason: `cannot connect to the broker: ${(error as Error).message}` };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const topics = revocationTopics(storeId, terminalId);
    const fields = {
      storeId,
      terminalId,
      nonce: randomBytes(16).toString('hex'),
      at: new Date().toISOString(),
    };
    const request: RevokeRequest = {
      v: 1,
      ...fields,
      signature: opts.identity.sign(revocationMessage(fields)).toString('base64'),
    };
    const answer = new Promise<RevocationOutcome>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            revoked: false,
            reason: `no answer from upstream within ${timeoutMs} ms on ${topics.response}: is upstream running?`,
          }),
        timeoutMs,
      );
      client.on('message', (topic, payload) => {
        if (topic !== topics.response) return;
        let parsed: ReturnType<typeof revokeResponseSchema.safeParse>;
        try {
          parsed = revokeResponseSchema.safeParse(JSON.parse(payload.toString('utf8')));
        } catch {
          return;
        }
        // Answers to an earlier attempt carry another nonce.
        if (!parsed.success || parsed.data.nonce !== fields.nonce) return;
        clearTimeout(timer);
        resolve(
          parsed.data.status === 'revoked'
            ? { revoked: true }
            : { revoked: false, reason: `upstream refused (${parsed.data.code}): ${parsed.data.message}` },
        );
      });
    });
    await client.subscribeAsync(topics.response, { qos: 1 });
    try {
      await client.publishAsync(topics.request, JSON.stringify(request), { qos: 1 });
    } catch (error) {
      return {
        revoked: false,
        reason: `the broker refused the request (${(error as Error).message}): this terminal may already be revoked`,
      };
    }
    return await answer;
  } finally {
    clearTimeout(timer);
    await client.endAsync(true).catch(() => undefined);
  }
}
