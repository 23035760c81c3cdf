import { randomBytes, randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { VeritermError } from '../../terminal/errors.js';
import type { SyncOptionsInput } from '../../terminal/sync/index.js';
import { decodeFrame, PROTOCOL_VERSION } from '../../terminal/sync/protocol.js';
import { terminalTopics } from '../../terminal/sync/topics.js';
import { syncOptionsFromConfig } from '../broker-credentials.js';
import { connect, terminalTarget } from '../enrol-client.js';

/**
 * Why a terminal cannot verify through upstream, each with its own remedy:
 * - `broker_unreachable`, `broker_tls`, `broker_refused`: the terminal's own connection fails;
 * - `publish_refused`: the broker took the login but its ACL refuses this terminal's topics
 *   (MQTT 5 PUBACK/SUBACK reason code 0x87 Not authorized), e.g. a static ACL generated before
 *   the terminal was enrolled;
 * - `no_upstream_ack`: the publish went through but upstream did not answer (not running, not
 *   subscribed, or a dead member of its shared subscription took the request);
 * - `no_registry`: upstream answered, but has no release for the terminal's scope.
 */
export type UplinkCause =
  | 'broker_unreachable'
  | 'broker_tls'
  | 'broker_refused'
  | 'publish_refused'
  | 'no_upstream_ack'
  | 'no_registry';

export interface UplinkFault {
  cause: UplinkCause;
  message: string;
  remedy: string;
}

export type UplinkResult =
  | { ok: true; scope: string; releaseVersion?: number }
  | ({ ok: false } & UplinkFault);

const NOT_AUTHORIZED = 0x87;

/** The remedy for each cause: what the technician (or the upstream operator) does next. */
export function uplinkRemedy(cause: UplinkCause, ids: { storeId: string; terminalId: string }): string {
  const prefix = `vt/${ids.storeId}/${ids.terminalId}/`;
  switch (cause) {
    case 'broker_unreachable':
      return 'check the network and that the broker runs (its URL is in the config sync.brokerUrl), then run veriterm doctor';
    case 'broker_tls':
      return 'the broker certificate does not verify against the pinned CA: ask the upstream operator which CA signs the broker, then re-run veriterm provision';
    case 'broker_refused':
      return "the broker refuses this terminal's login (revoked or never added): ask upstream for a new enrolment code and re-run veriterm provision --force";
    case 'publish_refused':
      return `the broker ACL does not cover this terminal (${prefix}…): the upstream operator installs the pattern ACL \`veriterm upstream acl\` prints (it covers every enrolled terminal; docs/upstream-field-guide.md) and checks this terminal is not denied by name (revoked), then run veriterm doctor; no need to re-enrol unless it was revoked`;
    case 'no_upstream_ack':
      return 'upstream did not answer: the upstream operator checks that `veriterm upstream` runs and is connected to this broker, then run veriterm doctor';
    case 'no_registry':
      return "upstream has no registry release for this terminal's scope: the upstream operator publishes one (veriterm upstream registry …); the terminal fetches it by itself once running";
  }
}

/**
 * Proves the link a verifying terminal needs, with the terminal's own credentials: connect,
 * subscribe to its registry response topic, publish a registry announcement request on its uplink
 * (QoS 1: the broker's PUBACK reason code says whether the ACL allows it), and wait for upstream's
 * answer. Upstream answering with the scope's release is the acknowledgement that records and
 * registry requests reach it; an answer "unknown scope" means it holds no registry for us.
 * On MQTT 3.1.1 a broker drops refused publishes silently: `publish_refused` cannot be told from
 * `no_upstream_ack` there, and the message says so.
 */
export async function probeUplink(
  sync: SyncOptionsInput,
  options: { timeoutMs: number },
): Promise<UplinkResult> {
  let o: ReturnType<typeof syncOptionsFromConfig>;
  try {
    o = syncOptionsFromConfig(sync);
  } catch (error) {
    return {
      ok: false,
      cause: 'broker_refused',
      message: (error as Error).message,
      remedy: 're-run veriterm provision (the credentials it wrote cannot be read)',
    };
  }
  const ids = { storeId: o.storeId, terminalId: o.terminalId };
  const fault = (cause: UplinkCause, message: string): UplinkResult => ({
    ok: false,
    cause,
    message,
    remedy: uplinkRemedy(cause, ids),
  });
  const scope = o.registry?.scopes?.[0];
  let client: MqttClient;
  try {
    const target = terminalTarget(o, options.timeoutMs);
    const clientId = `vt-probe-${o.storeId}-${o.terminalId}-${randomBytes(4).toString('hex')}`;
    // A broker without MQTT 5 (aedes, old mosquitto) gets 3.1.1: a refused publish then goes
    // unreported and reads as "no answer from upstream" (the message says so).
    client = await connect(target, clientId).catch((error: unknown) => {
      if (error instanceof VeritermError && /protocol/i.test(error.message))
        return connect({ ...target, protocolVersion: 4 }, clientId);
      throw error;
    });
  } catch (error) {
    const code = error instanceof VeritermError ? error.code : 'broker_unreachable';
    const cause: UplinkCause =
      code === 'broker_refused' || code === 'broker_tls' ? code : 'broker_unreachable';
    return fault(cause, (error as Error).message);
  }
  try {
    const topics = terminalTopics(o.storeId, o.terminalId);
    const correlation = randomUUID();
    const answer = new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), options.timeoutMs);
      client.on('message', (topic, payload) => {
        if (topic !== topics.registryResponse) return;
        try {
          if (decodeFrame(payload).header.correlation !== correlation) return;
        } catch {
          return;
        }
        clearTimeout(timer);
        resolve(payload);
      });
    });
    const granted = await client.subscribeAsync(topics.registryResponse, { qos: 1 });
    if (granted.some((g) => g.qos >= 0x80))
      return fault(
        'publish_refused',
        `the broker refused this terminal's subscription to ${topics.registryResponse} (SUBACK 0x${granted[0]!.qos.toString(16)})`,
      );
    if (!scope) return fault('no_registry', 'the config names no registry scope (sync.registry.scopes)');
    try {
      await client.publishAsync(
        topics.registryRequest,
        JSON.stringify({
          v: PROTOCOL_VERSION,
          op: 'announcement',
          scope,
          replyTo: topics.registryResponse,
          correlation,
        }),
        {
          qos: 1,
          properties: { responseTopic: topics.registryResponse, correlationData: Buffer.from(correlation) },
        },
      );
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === NOT_AUTHORIZED)
        return fault(
          'publish_refused',
          `the broker refused this terminal's publish to ${topics.registryRequest} (PUBACK 0x87 Not authorized)`,
        );
      return fault('broker_unreachable', `publish failed: ${(error as Error).message}`);
    }
    const reply = await answer;
    if (!reply)
      return fault(
        'no_upstream_ack',
        `the broker took our request, but upstream did not answer within ${Math.round(options.timeoutMs / 1000)} s${client.options.protocolVersion === 4 ? ' (MQTT 3.1.1: a publish the broker ACL refused would look the same)' : ''}`,
      );
    const { header, body } = decodeFrame(reply);
    if (header.status !== 'ok')
      return fault(
        'no_registry',
        `upstream answered, but holds no registry for scope ${scope} (${header.error?.code ?? 'error'})`,
      );
    const version = (JSON.parse(body.toString('utf8')) as { version?: unknown }).version;
    return { ok: true, scope, ...(typeof version === 'number' ? { releaseVersion: version } : {}) };
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}
