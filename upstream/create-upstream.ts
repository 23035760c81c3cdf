import { type KeyObject, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { SqliteDatabase } from '../terminal/db/open-database.js';
import type { Logger } from '../terminal/logger.js';
import { signCommand } from '../terminal/sync/command-signing.js';
import { MqttLink } from '../terminal/sync/link.js';
import {
  type CommandName,
  type CommandResult,
  type DeliveryOutcome,
  decodeJson,
  PROTOCOL_VERSION,
  type SignedCommand,
} from '../terminal/sync/protocol.js';
import { parseTerminalTopic, terminalTopics, upstreamSubscriptions } from '../terminal/sync/topics.js';
import { DeliverySender } from './delivery-send.js';
import { type DeltaBuilder, jsonDeltaBuilder } from './delta-builder.js';
import type { IngestResult, IngestStore } from './ingest-store.js';
import { answerLedgerRequest } from './ledger-recovery.js';
import { parseUpstreamOptions, type UpstreamOptions, type UpstreamOptionsInput } from './options.js';
import { createRecordIntake } from './record-intake.js';
import { RegistryPublisher } from './registry-publisher.js';
import { ReleaseInbox } from './release-inbox.js';
import { RequestLimiter } from './request-limiter.js';
import { type BrokerRevocation, handleRevocationRequest, revokeTerminal } from './revocation.js';
import { revocationSubscription } from './revocation-protocol.js';
import type { UpstreamStorage } from './storage/contract.js';
import { SqliteUpstreamStorage } from './storage/sqlite/sqlite-storage.js';
import { TransferForwarder } from './transfer-forwarder.js';

export interface UpstreamDeps {
  /** Where records, alerts, unit events and enrolments live (storage/contract.ts). */
  storage: UpstreamStorage;
  logger: Logger;
  /**
   * Root of the release directories operators publish into: `{releasesDir}/{scope}/snapshot-N|delta-A-B/…`.
   * The SQLite engine serves releases from there; on PostgreSQL each worker adds new ones from
   * there to the database (release-inbox.ts), which is what every worker serves.
   */
  releasesDir: string;
  /** Signs commands to terminals (Ed25519 private key). Without it, sendCommand throws. */
  commandKey?: KeyObject;
  /** Builds sold-unit deltas; defaults to the JSON delta format. */
  deltaBuilder?: DeltaBuilder;
  /** Tells the broker about revoked terminals (mosquitto ACL/password files); without it only upstream refuses them. */
  brokerRevocation?: BrokerRevocation;
}

export interface UpstreamEvents {
  connected: [];
  ingested: [{ storeId: string; terminalId: string } & IngestResult];
  status: [{ storeId: string; terminalId: string; doc: unknown }];
  commandResult: [{ storeId: string; terminalId: string } & CommandResult];
  /** A terminal's first outcome for a delivery note this upstream sent. */
  deliveryOutcome: [{ storeId: string; terminalId: string } & DeliveryOutcome];
}

export interface Upstream {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly storage: UpstreamStorage;
  readonly publisher: RegistryPublisher;
  /** Delivery notes: `send` signs and publishes one and waits for the outcome; `log` (storage.deliveries) lists them. */
  readonly deliveries: DeliverySender;
  /** Transfer notes owed to receiving stores and their state (upstream/transfer-forwarder.ts). */
  readonly transfers: TransferForwarder;
  /** Whether this worker holds the publisher lease (publishes registry deltas) now. */
  publishing(): boolean;
  readonly events: EventEmitter<UpstreamEvents>;
  readonly options: UpstreamOptions;
  /** Last status document per `store/terminal` (retained "online"/"offline"). */
  terminalStatus(): Map<string, unknown>;
  /** Signs and sends a command; resolves with the terminal's result (or rejects after `timeoutMs`). */
  sendCommand(
    target: { storeId: string; terminalId: string },
    name: CommandName,
    args?: Record<string, unknown>,
    opts?: { ttlMs?: number; timeoutMs?: number },
  ): Promise<CommandResult>;
  /** Builds (but does not send) a signed command: for tests and for operators' tooling. */
  buildCommand(
    target: { storeId: string; terminalId: string },
    name: CommandName,
    args?: Record<string, unknown>,
    ttlMs?: number,
  ): SignedCommand;
  publishRaw(
    topic: string,
    payload: Buffer | string,
    opts?: { retain?: boolean; messageExpirySeconds?: number },
  ): Promise<void>;
  /** Connected to the broker and subscribed to the uplink topics. */
  connected(): boolean;
  /** Revokes a terminal's enrolment: its records are refused (`revoked_terminal` alert), the broker told. */
  revoke(target: { storeId: string; terminalId: string }): Promise<{ revokedAt: string; broker: string }>;
}

/** The embedded engine's upstream: its synchronous SQLite store stays at hand for tests and tools. */
export interface SqliteUpstream extends Upstream {
  readonly store: IngestStore;
}

/** How often a worker that does not publish tries the publisher lease (a dead holder's successor waits at most this). */
const LEASE_RETRY_MS = 2000;

/** How often the publisher looks for unit events other workers ingested (PostgreSQL). */
const LEADER_POLL_MS = 500;

/** The reference upstream on an SQLite database (the embedded default). */
export function createUpstream(
  deps: Omit<UpstreamDeps, 'storage'> & { db: SqliteDatabase },
  input: UpstreamOptionsInput,
): SqliteUpstream {
  const { db, ...rest } = deps;
  const { signatureCheck, chunkBytes } = parseUpstreamOptions(input);
  const storage = new SqliteUpstreamStorage(db, {
    signatureCheck,
    releasesDir: rest.releasesDir,
    chunkBytes,
  });
  return { ...createUpstreamOn({ ...rest, storage }, input), store: storage.store };
}

/** The reference upstream: record ingest with acks, registry publication, chunk answers, signed commands. */
export function createUpstreamOn(deps: UpstreamDeps, input: UpstreamOptionsInput): Upstream {
  const options = parseUpstreamOptions(input);
  const log = deps.logger.child({ module: 'upstream' });
  const requests = new RequestLimiter(options.requestLimit);
  const { storage } = deps;
  const store = storage.ingest;
  // The embedded engine serves the release directory itself; elsewhere it is an inbox.
  const inbox =
    storage.engine === 'sqlite' ? undefined : new ReleaseInbox(deps.releasesDir, storage.releases, log);
  const scanInbox = () =>
    inbox?.scan().catch((error: unknown) => log.warn({ err: error }, 'release directory not read'));
  const events = new EventEmitter<UpstreamEvents>();
  const statuses = new Map<string, unknown>();
  const subs = upstreamSubscriptions(options.shareGroup || undefined);
  const link = new MqttLink(
    {
      url: options.brokerUrl,
      clientId: options.clientId,
      protocol: options.protocol,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      // The client id is stable per worker (options.ts), so a restarted worker resumes this
      // session, with the shared-subscription messages queued for it meanwhile: no dead member.
      sessionExpirySeconds: options.sessionExpirySeconds ?? (storage.engine === 'postgres' ? 0 : 3600),
      keepaliveSeconds: 30,
      reconnect: { initialDelayMs: 200, maxDelayMs: 10_000, jitter: 0.3, connectTimeoutMs: 10_000 },
      subscriptions: [
        subs.records,
        subs.registryRequests,
        subs.ledgerRequests,
        subs.cmdResults,
        subs.deliveryResults,
        subs.status,
        revocationSubscription(options.shareGroup || undefined),
      ],
    },
    log,
  );
  const publish = (
    topic: string,
    payload: Buffer | string,
    opts: { qos: 1; retain?: boolean; correlation?: Buffer; messageExpirySeconds?: number },
  ) =>
    link.publish(topic, payload, {
      qos: 1,
      retain: opts.retain ?? false,
      properties: {
        ...(opts.correlation ? { correlationData: opts.correlation } : {}),
        ...(opts.messageExpirySeconds ? { messageExpiryInterval: opts.messageExpirySeconds } : {}),
      },
    });
  const publisher = new RegistryPublisher(
    {
      releases: storage.releases,
      store,
      builder: deps.deltaBuilder ?? jsonDeltaBuilder(),
      logger: log,
      publish,
      isLeader: () => storage.publisherLease.held(),
      confirmLeader: () => storage.publisherLease.confirm(),
    },
    options,
  );
  const deliveries = new DeliverySender({
    log: storage.deliveries,
    logger: log,
    ...(deps.commandKey ? { key: deps.commandKey } : {}),
    publish: (topic, payload, messageExpirySeconds) =>
      publish(topic, payload, { qos: 1, messageExpirySeconds }),
    onOutcome: (target, outcome) => events.emit('deliveryOutcome', { ...target, ...outcome }),
  });
  // Transfers owe the receiving store a delivery note (docs/stock.md "Transfers end to end").
  const transfers = new TransferForwarder(
    { store: storage.deliveries.transfers, deliveries, logger: log, statuses: () => statuses },
    options.transfers,
  );
  events.on('status', transfers.onStatus);
  events.on('deliveryOutcome', (o) => {
    transfers.onOutcome(o).catch((error: unknown) => log.error({ err: error }, 'transfer note not settled'));
  });
  let leaseTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  /** Takes the publisher lease when it is free; on taking it, publishes what the last holder left. */
  const tryLease = async (): Promise<void> => {
    const before = storage.publisherLease.held();
    if (!(await storage.publisherLease.tryAcquire()) || before) return;
    log.info({ engine: storage.engine }, 'this worker publishes registry deltas');
    publisher.schedule();
  };
  const waiting = new Map<string, (result: CommandResult) => void>();
  let rescan: NodeJS.Timeout | undefined;

  // Work started for received messages (the broker counts them delivered once mqtt.js acks them):
  // stop() lets it finish, so a restart loses no record batch or request it had taken.
  const inflight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
  };
  // Bounded: terminals that keep sending must not hold a stopping upstream forever (what is left
  // stays unacknowledged and is resent).
  const settle = async (maxMs = 5000): Promise<void> => {
    const deadline = Date.now() + maxMs;
    while ((inflight.size > 0 || !intake.idle) && Date.now() < deadline) {
      if (!intake.idle || inflight.size === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
      await Promise.race([Promise.allSettled([...inflight]), late]);
      clearTimeout(timer);
    }
  };

  // Received record batches: ingested in calls, then acknowledged (upstream/record-intake.ts).
  const intake = createRecordIntake({
    storage,
    options,
    log,
    publish,
    track,
    transfers,
    onIngested: (event) => events.emit('ingested', event),
    onSoldUnits: () => publisher.schedule(),
  });

  const onRecords = (storeId: string, terminalId: string, payload: Buffer): void =>
    intake.push(storeId, terminalId, payload);

  const onMessage = async (
    topic: string,
    payload: Buffer,
    responseTopic: string | undefined,
    correlation: Buffer | undefined,
  ) => {
    const t = parseTerminalTopic(topic);
    if (!t) return;
    const own = terminalTopics(t.storeId, t.terminalId);
    if (t.rest === 'records') return onRecords(t.storeId, t.terminalId, payload);
    if (t.rest === 'registry/req' || t.rest === 'ledger/req') {
      const who = `${t.storeId}/${t.terminalId}`;
      const allowed = requests.take(who, () =>
        log.warn(
          { storeId: t.storeId, terminalId: t.terminalId, limit: options.requestLimit },
          'terminal over its request limit: requests dropped until it slows down',
        ),
      );
      if (!allowed) return;
    }
    if (t.rest === 'registry/req') {
      // Replies go only to the asking terminal's own response topic: a forged response topic must
      // not turn upstream into a relay into another terminal's prefix.
      if (responseTopic !== undefined && responseTopic !== own.registryResponse) {
        log.warn({ topic, responseTopic }, 'registry request with a foreign response topic refused');
        return;
      }
      const body = decodeJson(payload, 64 * 1024) as { replyTo?: unknown };
      if (body.replyTo !== own.registryResponse) {
        log.warn({ topic }, 'registry request with a foreign replyTo refused');
        return;
      }
      return publisher.answer(body, own.registryResponse, correlation);
    }
    if (t.rest === 'ledger/req') {
      if (responseTopic !== undefined && responseTopic !== own.ledgerResponse) {
        log.warn({ topic, responseTopic }, 'ledger request with a foreign response topic refused');
        return;
      }
      const reply = { storeId: t.storeId, terminalId: t.terminalId, responseTopic: own.ledgerResponse };
      return answerLedgerRequest(
        {
          storage: store,
          logger: log,
          publish: (to, frame, c) => publish(to, frame, { qos: 1, ...(c ? { correlation: c } : {}) }),
        },
        reply,
        payload,
        correlation,
      );
    }
    if (t.rest === 'revoke/req') {
      return handleRevocationRequest(
        {
          store,
          logger: log,
          broker: deps.brokerRevocation,
          publish: (to, body) => publish(to, body, { qos: 1, ...(correlation ? { correlation } : {}) }),
        },
        t,
        payload,
      );
    }
    if (t.rest === 'status') {
      const doc = payload.length === 0 ? undefined : decodeJson(payload, 1024 * 1024);
      statuses.set(`${t.storeId}/${t.terminalId}`, doc);
      events.emit('status', { storeId: t.storeId, terminalId: t.terminalId, doc });
      return;
    }
    if (t.rest === 'deliveries/result')
      return deliveries.onOutcome({ storeId: t.storeId, terminalId: t.terminalId }, payload);
    if (t.rest === 'cmd/result') {
      const result = decodeJson(payload, 1024 * 1024) as CommandResult;
      events.emit('commandResult', { storeId: t.storeId, terminalId: t.terminalId, ...result });
      waiting.get(result.id)?.(result);
    }
  };

  link.on('message', (topic, payload, packet) => {
    track(
      onMessage(topic, payload, packet.properties?.responseTopic, packet.properties?.correlationData).catch(
        (error: unknown) => log.warn({ err: error, topic }, 'message handling failed'),
      ),
    );
  });
  link.on('connect', () => {
    publisher.announceAll(true).catch((error: unknown) => log.warn({ err: error }, 'announce failed'));
    publisher.schedule();
    events.emit('connected');
  });

  const revoke: Upstream['revoke'] = (target) =>
    revokeTerminal({ store, broker: deps.brokerRevocation, logger: log }, target);

  const buildCommand: Upstream['buildCommand'] = (target, name, args = {}, ttlMs = 60_000) => {
    if (!deps.commandKey) throw new Error('upstream has no command key');
    const issuedAt = new Date();
    return signCommand(
      {
        v: PROTOCOL_VERSION,
        id: randomUUID(),
        name,
        args,
        target,
        issuedAt: issuedAt.toISOString(),
        expiresAt: new Date(issuedAt.getTime() + ttlMs).toISOString(),
      },
      deps.commandKey,
    );
  };

  return {
    options,
    storage,
    publisher,
    deliveries,
    transfers,
    publishing: () => options.publishRegistry && storage.publisherLease.held(),
    events,
    terminalStatus: () => statuses,
    // Subscribed too: a command result or a record sent before SUBACK would not reach this worker.
    connected: () => link.ready,
    buildCommand,
    revoke,
    publishRaw: (topic, payload, opts = {}) =>
      publish(topic, payload, {
        qos: 1,
        ...(opts.retain ? { retain: true } : {}),
        ...(opts.messageExpirySeconds ? { messageExpirySeconds: opts.messageExpirySeconds } : {}),
      }),
    async sendCommand(target, name, args = {}, opts = {}) {
      const ttlMs = opts.ttlMs ?? 60_000;
      const command = buildCommand(target, name, args, ttlMs);
      const result = new Promise<CommandResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(command.id);
          reject(new Error(`no result for command ${name} within ${opts.timeoutMs ?? ttlMs} ms`));
        }, opts.timeoutMs ?? ttlMs);
        waiting.set(command.id, (r) => {
          clearTimeout(timer);
          waiting.delete(command.id);
          resolve(r);
        });
      });
      // MQTT 5 message expiry: the broker drops it when it could only arrive too late.
      await publish(terminalTopics(target.storeId, target.terminalId).cmd, JSON.stringify(command), {
        qos: 1,
        messageExpirySeconds: Math.ceil(ttlMs / 1000),
      });
      return result;
    },
    async start() {
      await scanInbox();
      link.start();
      if (options.publishRegistry) {
        await tryLease().catch((error: unknown) => log.warn({ err: error }, 'publisher lease not taken'));
        leaseTimer = setInterval(() => {
          tryLease().catch((error: unknown) => log.warn({ err: error }, 'publisher lease not taken'));
        }, LEASE_RETRY_MS);
        // Other workers' write-offs reach the shared database without telling this one: the
        // holder looks for unpublished unit events itself (one indexed query when there are none).
        if (storage.engine === 'postgres')
          pollTimer = setInterval(() => {
            if (storage.publisherLease.held()) publisher.schedule();
          }, LEADER_POLL_MS);
      }
      rescan = setInterval(() => {
        if (!link.connected) return;
        void Promise.resolve(scanInbox()).then(() => publisher.announceAll().catch(() => undefined));
      }, options.rescanMs);
    },
    async stop() {
      clearInterval(rescan);
      clearInterval(leaseTimer);
      clearInterval(pollTimer);
      // A delta being published is finished (bounded), so its sales are marked before we go.
      await publisher.stop();
      transfers.stop();
      // Batches already received are still ingested and acknowledged (bounded by settle).
      await settle();
      intake.stop();
      await link.stop();
    },
  };
}
