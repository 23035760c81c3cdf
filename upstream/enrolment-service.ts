import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../terminal/logger.js';
import type { CredentialIssuer } from './enrolment-credentials.js';
import {
  type EnrolErrorCode,
  type EnrolRequest,
  type EnrolResponse,
  enrolRequestSchema,
  enrolSubscription,
  normalizeEnrolmentCode,
  proofMatches,
  sealGrant,
} from './enrolment-protocol.js';
import { type EnrolmentStore, MAX_CODE_FAILURES } from './enrolment-store.js';
import type { EnrolmentStorage } from './storage/contract.js';

export interface EnrolmentServiceDeps {
  /** The storage engine's codes (storage/contract.ts), or the SQLite store itself. */
  store: EnrolmentStorage | EnrolmentStore;
  issuer: CredentialIssuer;
  /** The registry root (signed JSON) for a scope, as terminals must pin it. */
  rootFor: (scope: string) => unknown;
  logger: Logger;
  /** Upstream command keys (raw base64) handed to terminals. */
  commandKeys?: string[];
  /** Told about every enrolled terminal (the reference upstream enrols its key for record ingest). */
  onEnrolled?: (terminal: {
    storeId: string;
    terminalId: string;
    role: string;
    publicKey: string;
  }) => void | Promise<void>;
  now?: () => Date;
}

export interface EnrolmentServiceOptions {
  brokerUrl: string;
  clientId?: string;
  username?: string;
  password?: string;
  /** Extra mqtt.js options (TLS material). */
  mqtt?: IClientOptions;
  /** Shared-subscription group; '' for brokers without shared subscriptions. @default 'veriterm-enrol' */
  shareGroup?: string;
  /** '3.1.1' for brokers without MQTT 5 (aedes). @default '5' */
  protocol?: 'auto' | '5' | '3.1.1';
}

/**
 * Decides one enrolment request. Pure apart from the store and the issuer, so unit tests call it
 * without a broker. A wrong code counts against the terminal's open code and burns it after
 * MAX_CODE_FAILURES attempts (50-bit codes, but the guessing budget stays tiny anyway).
 */
export async function answerEnrolment(deps: EnrolmentServiceDeps, raw: unknown): Promise<EnrolResponse> {
  const parsed = enrolRequestSchema.safeParse(raw);
  if (!parsed.success)
    return refuse('bad_request', `malformed enrolment request: ${parsed.error.issues[0]?.message}`);
  const request: EnrolRequest = parsed.data;
  const now = deps.now?.() ?? new Date();
  const who = `store ${request.storeId} terminal ${request.terminalId}`;
  const pending = await deps.store.latest(request.storeId, request.terminalId);
  if (!pending || pending.usedAt !== null) {
    return refuse(
      'bad_code',
      `enrolment code not accepted for ${who}: no open code (never issued or already used); issue a new one upstream`,
    );
  }
  if (pending.failures >= MAX_CODE_FAILURES) {
    return refuse(
      'code_locked',
      `the enrolment code for ${who} was locked after ${MAX_CODE_FAILURES} wrong attempts; issue a new one upstream`,
    );
  }
  if (Date.parse(pending.expiresAt) <= now.getTime()) {
    return refuse(
      'code_expired',
      `the enrolment code for ${who} expired at ${pending.expiresAt}; issue a new one upstream`,
    );
  }
  // Codes are stored as printed (`XXXXX-XXXXX`); both sides key the proof with the canonical form.
  const code = normalizeEnrolmentCode(pending.code) ?? pending.code;
  if (!proofMatches(code, request)) {
    const failures = await deps.store.fail(pending.id);
    const left = Math.max(0, MAX_CODE_FAILURES - failures);
    return refuse(
      'bad_code',
      `wrong enrolment code for ${who} (${left} attempt(s) left); check the code upstream printed`,
    );
  }
  if (!(await deps.store.consume(pending.id, now)))
    return refuse('bad_code', `the enrolment code for ${who} was just used`);
  let broker: Awaited<ReturnType<CredentialIssuer['issue']>>;
  try {
    broker = await deps.issuer.issue({ storeId: request.storeId, terminalId: request.terminalId });
  } catch (error) {
    deps.logger.error(
      { err: error, storeId: request.storeId, terminalId: request.terminalId },
      'issuing credentials failed',
    );
    return refuse('issue_failed', 'upstream could not issue broker credentials; see the upstream log');
  }
  await deps.store.recordTerminal({ ...request, publicKey: request.terminalPublicKey, now });
  // Awaited: the terminal's key is enrolled for ingest before it gets its grant (and sends records).
  await deps.onEnrolled?.({
    storeId: request.storeId,
    terminalId: request.terminalId,
    role: request.role,
    publicKey: request.terminalPublicKey,
  });
  deps.logger.info({ storeId: request.storeId, terminalId: request.terminalId }, 'terminal enrolled');
  return sealGrant(request, code, {
    storeId: request.storeId,
    terminalId: request.terminalId,
    broker,
    registry: { scope: pending.scope, root: deps.rootFor(pending.scope) },
    commandKeys: deps.commandKeys ?? [],
  });
}

function refuse(code: EnrolErrorCode, message: string): EnrolResponse {
  return { status: 'error', error: { code, message } };
}

/** The enrolment responder: subscribes to enrolment requests and answers on each requester's response topic. */
export class EnrolmentService {
  private client: MqttClient | undefined;

  constructor(
    private readonly deps: EnrolmentServiceDeps,
    private readonly options: EnrolmentServiceOptions,
  ) {}

  async start(): Promise<void> {
    const log = this.deps.logger.child({ module: 'enrolment' });
    const client = await mqtt.connectAsync(this.options.brokerUrl, {
      protocolVersion: this.options.protocol === '3.1.1' ? 4 : 5,
      clientId: this.options.clientId ?? `vt-enrol-svc-${process.pid}`,
      reconnectPeriod: 1000,
      ...(this.options.username !== undefined ? { username: this.options.username } : {}),
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      ...this.options.mqtt,
    });
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      const parts = topic.split('/');
      if (parts.length !== 4 || parts[3] !== 'req') return;
      const responseTopic = `vt/enrol/${parts[2]}/res`;
      let body: unknown;
      try {
        body = JSON.parse(payload.toString('utf8'));
      } catch {
        body = undefined;
      }
      answerEnrolment(this.deps, body)
        .then((answer) =>
          client.publishAsync(responseTopic, JSON.stringify(answer), {
            qos: 1,
            properties: packet.properties?.correlationData
              ? { correlationData: packet.properties.correlationData }
              : {},
          }),
        )
        .catch((error: unknown) => log.warn({ err: error, topic }, 'enrolment answer failed'));
    });
    await client.subscribeAsync(enrolSubscription(this.options.shareGroup ?? 'veriterm-enrol'), { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }
}
