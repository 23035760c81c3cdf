import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { VeritermError } from '../terminal/errors.js';
import type { TerminalIdentity } from '../terminal/identity/index.js';
import type { SyncOptionsInput } from '../terminal/sync/index.js';
import {
  type EnrolGrant,
  enrolProof,
  enrolResponseSchema,
  enrolTopics,
  newEphemeralKey,
  normalizeEnrolmentCode,
  openGrant,
} from '../upstream/enrolment-protocol.js';

export interface EnrolRequestInput {
  brokerUrl: string;
  caFile?: string;
  username?: string;
  password?: string;
  code: string;
  storeId: string;
  terminalId: string;
  role: 'kiosk' | 'checkout';
  identity: TerminalIdentity;
  timeoutMs: number;
}

/**
 * Asks upstream for this terminal's credentials and registry root (MQTT 5 request/response on
 * `vt/enrol/{clientId}/req|res`). Every way it can go wrong is a VeritermError whose message
 * tells the technician what to do: malformed code, broker unreachable or refusing, no answer,
 * upstream's refusal (bad/expired/locked code), or an answer not sealed with our code.
 */
export async function requestEnrolment(input: EnrolRequestInput): Promise<EnrolGrant> {
  const code = normalizeEnrolmentCode(input.code);
  if (!code) {
    throw new VeritermError(
      'bad_code',
      `"${input.code}" is not an enrolment code: expected 10 letters/digits like K7QF2-9M2XA`,
    );
  }
  const clientId = `vt-enrol-${randomBytes(8).toString('hex')}`;
  const topics = enrolTopics(clientId);
  // Without a CA file, an mqtts:// enrolment connection cannot verify the broker yet; that is
  // acceptable only because the answer is sealed with the code (see enrolment-protocol.ts). The
  // grant brings the CA, and every later connection verifies the broker against it.
  const insecure = !input.caFile && /^(mqtts|wss):/.test(input.brokerUrl);
  const target = { ...input, ...(insecure ? { tls: { rejectUnauthorized: false } } : {}) };
  // MQTT 5 first; brokers that refuse protocol level 5 (aedes, old mosquitto) get 3.1.1, where the
  // per-client response topic carries the exchange just as well.
  const client = await connect(target, clientId).catch((error: unknown) => {
    if (error instanceof VeritermError && /protocol/i.test(error.message)) {
      return connect({ ...target, protocolVersion: 4 }, clientId);
    }
    throw error;
  });
  try {
    const eph = newEphemeralKey();
    const fields = {
      nonce: randomBytes(16).toString('hex'),
      storeId: input.storeId,
      terminalId: input.terminalId,
      role: input.role,
      terminalPublicKey: input.identity.publicKeyRaw,
      ephemeralPublicKey: eph.publicKeyB64,
    };
    const answer = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new VeritermError(
              'enrol_timeout',
              `no answer from upstream within ${Math.round(input.timeoutMs / 1000)} s: is the reference upstream running and connected to ${input.brokerUrl}?`,
            ),
          ),
        input.timeoutMs,
      );
      client.on('message', (topic, payload) => {
        if (topic !== topics.response) return;
        clearTimeout(timer);
        resolve(payload);
      });
    });
    await client.subscribeAsync(topics.response, { qos: 1 });
    const request = { v: 1, ...fields, proof: enrolProof(code, fields) };
    await client.publishAsync(topics.request, JSON.stringify(request), {
      qos: 1,
      properties: { responseTopic: topics.response, correlationData: Buffer.from(fields.nonce) },
    });
    const raw = await answer;
    let parsed: ReturnType<typeof enrolResponseSchema.safeParse>;
    try {
      parsed = enrolResponseSchema.safeParse(JSON.parse(raw.toString('utf8')));
    } catch {
      throw new VeritermError('enrol_bad_answer', 'upstream answered with something that is not JSON');
    }
    if (!parsed.success)
      throw new VeritermError('enrol_bad_answer', 'upstream answered in an unknown format');
    if (parsed.data.status === 'error')
      throw new VeritermError(parsed.data.error.code, parsed.data.error.message);
    const grant = openGrant(parsed.data.data, eph.privateKey, code, fields.nonce);
    if (!grant || grant.storeId !== input.storeId || grant.terminalId !== input.terminalId) {
      throw new VeritermError(
        'enrol_tampered',
        'the answer was not sealed with this enrolment code: someone may be interfering; nothing was stored',
      );
    }
    return grant;
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}

export interface ConnectTarget {
  brokerUrl: string;
  caFile?: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
  tls?: IClientOptions;
  /** @default 5 */
  protocolVersion?: 4 | 5;
}

/**
 * Where and how the terminal itself logs in, from its merged sync options (syncOptionsFromConfig):
 * URL, login, pinned CA and client certificate. Doctor, the readiness probe, decommission and
 * revocation all connect as the terminal through this.
 */
export function terminalTarget(
  sync: Pick<SyncOptionsInput, 'brokerUrl' | 'username' | 'password' | 'tls'>,
  timeoutMs: number,
): ConnectTarget {
  return {
    brokerUrl: sync.brokerUrl,
    timeoutMs,
    ...(sync.username !== undefined ? { username: sync.username } : {}),
    ...(sync.password !== undefined ? { password: sync.password } : {}),
    ...(sync.tls?.caFile ? { caFile: sync.tls.caFile } : {}),
    tls: {
      ...(sync.tls?.certFile ? { cert: readFileSync(sync.tls.certFile) } : {}),
      ...(sync.tls?.keyFile ? { key: readFileSync(sync.tls.keyFile) } : {}),
    },
  };
}

/** Connects once (no retries): a technician wants to know now that the broker is unreachable. */
export function connect(input: ConnectTarget, clientId: string): Promise<MqttClient> {
  const options: IClientOptions = {
    clientId,
    protocolVersion: input.protocolVersion ?? 5,
    reconnectPeriod: 0,
    connectTimeout: Math.min(input.timeoutMs ?? 10_000, 10_000),
    clean: true,
    ...(input.username !== undefined ? { username: input.username } : {}),
    ...(input.password !== undefined ? { password: input.password } : {}),
    ...(input.caFile ? { ca: readFileSync(input.caFile) } : {}),
    ...input.tls,
  };
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(input.brokerUrl, options);
    const fail = (why: string, code = 'broker_unreachable') => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      reject(new VeritermError(code, why));
    };
    client.once('connect', () => {
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', (error: Error & { code?: string | number }) => {
      const msg = error.message;
      if (
        /not authorized|bad user name or password|Connection refused: (Not authorized|Bad username)/i.test(
          msg,
        )
      ) {
        fail(
          `the broker at ${input.brokerUrl} refused the login (${msg}): check the enrolment account`,
          'broker_refused',
        );
      } else if (/certificate|self.signed|unable to verify/i.test(msg)) {
        fail(`TLS to ${input.brokerUrl} failed: ${msg}; check the broker CA file`, 'broker_tls');
      } else {
        fail(
          `cannot reach the broker at ${input.brokerUrl}: ${msg}; check the URL, the network and that the broker runs`,
        );
      }
    });
    client.once('close', () =>
      fail(`cannot reach the broker at ${input.brokerUrl}: connection closed before CONNACK`),
    );
  });
}
