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
  parseRecordBatch,
  type SignedCommand,
} from '../terminal/sync/protocol.js';
import { parseTerminalTopic, terminalTopics, upstreamSubscriptions } from '../terminal/sync/topics.js';
import { DeliverySender } from './delivery-send.js';
import { type DeltaBuilder, jsonDeltaBuilder } from './delta-builder.js';
import { IngestQueue } from './ingest-queue.js';
import type { IngestBatch, IngestResult, IngestStore } from './ingest-store.js';
import { answerLedgerRequest } from './ledger-recovery.js';
import { parseUpstreamOptions, type UpstreamOptions, type UpstreamOptionsInput } from './options.js';
import { recordsFromCompact } from './record-verify.js';
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

/**
 * Record batches per ingest transaction (upstream/ingest-queue.ts): a third of a terminal's default
 * in-flight window (`drain.maxInFlightBatches` 24). Each commit is an fsync that blocks this event
 * loop; in the sync bench 4 per commit spent ~0.4 s of a ~2 s drain waiting on the disk, 8 about
 * 0.15 s, and 12 was no faster than 8.
 */
const FLUSH_BATCHES = 8;
/**
 * Beyond FLUSH_BATCHES, batches keep joining one commit while they add up to no more than 8
 * full-size batches (a terminal's drain.maxBatchBytes, 120 KiB): a fleet's batches are small (a
 * sale or two each), and at 8 per commit the fsync per commit, not the work, capped ingest (the
 * fleet simulator: ~1,100 records/s from 1,000 terminals, upstream 10 % busy).
 */
const FLUSH_BYTES = FLUSH_BATCHES * 120 * 1024;

/** The embedded engine's upstream: its synchronous SQLite store stays at hand for tests and tools. */
export interface SqliteUpstream extends Upstream {
  readonly store: IngestStore;
}

/** How often a worker that does not publish tries the publisher lease (a dead holder's successor waits at most this). */
const LEASE_RETRY_MS = 2000;

/** How often the publisher looks for unit events other workers ingested (PostgreSQL). */
const LEADER_POLL_MS = 500;

/** How soon a held batch (see `gapGraceMs`) is tried again. */
const HELD_RETRY_MS = 50;
/** Above this many batches waiting at once, nothing more is held (each is ingested as it is). */
const MAX_HELD_BATCHES = 2000;

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
    while ((inflight.size > 0 || !queue.idle) && Date.now() < deadline) {
      if (!queue.idle || inflight.size === 0) {
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

  // Batches that arrive together are ingested in one call (one transaction, one fsync), then
  // acknowledged (upstream/ingest-queue.ts). On PostgreSQL a batch that arrived before its
  // predecessor was stored (another worker holds it) is held for up to gapGraceMs.
  const queue = new IngestQueue({
    decode: (storeId, terminalId, payload) => decodeBatch(storeId, terminalId, payload),
    ingest: (batches) => store.ingest(batches),
    ingested: (batches, results) => acknowledge(batches, results),
    maxBatches: FLUSH_BATCHES,
    maxBytes: FLUSH_BYTES,
    maxCalls: storage.engine === 'postgres' ? 2 : 1,
    gapGraceMs: options.gapGraceMs ?? (storage.engine === 'postgres' ? 1000 : 0),
    maxHeld: MAX_HELD_BATCHES,
    heldRetryMs: HELD_RETRY_MS,
    track: (work) => track(work),
    onError: (error) => log.error({ err: error }, 'record ingest failed'),
  });

  /** After an ingest call: notes, events and one retained ack per terminal. */
  const acknowledge = async (
    batches: readonly IngestBatch[],
    results: readonly IngestResult[],
  ): Promise<void> => {
    // One ack per terminal: the last result carries its highest contiguous sequence.
    const acks = new Map<string, { storeId: string; terminalId: string; result: IngestResult }>();
    let soldUnits = false;
    for (const [i, result] of results.entries()) {
      const { storeId, terminalId } = batches[i]!;
      if (result.held) continue; // back in the queue
      if (result.problem)
        log.warn({ storeId, terminalId, problem: result.problem }, 'record batch not fully ingested');
      if (result.unitEvents > 0) soldUnits = true;
      acks.set(`${storeId}/${terminalId}`, { storeId, terminalId, result });
      // After the ingest commit: a crash in between loses only this note of them (the records and
      // their `received` unit events are ingest's, committed).
      try {
        await storage.deliveries.noteRecords(storeId, terminalId, result.accepted);
      } catch (error) {
        log.error({ err: error, storeId, terminalId }, 'receipts and diversion alerts not noted');
      }
      try {
        await transfers.noteAccepted(storeId, terminalId, result.accepted);
      } catch (error) {
        log.error({ err: error, storeId, terminalId }, 'transfer notes not kept');
      }
      events.emit('ingested', { storeId, terminalId, ...result });
    }
    if (soldUnits) publisher.schedule();
    await Promise.all(
      [...acks.values()].map(({ storeId, terminalId, result }) => {
        const ack = {
          v: PROTOCOL_VERSION,
          ackSeq: result.ackSeq,
          ...(result.problem ? { problem: { code: result.problem.code, seq: result.problem.seq } } : {}),
          // Our clock, so terminals can measure their skew on every live ack (not only on commands).
          at: new Date().toISOString(),
        };
        // Retained, so a terminal that (re)connects learns at once how far upstream got.
        return publish(terminalTopics(storeId, terminalId).acks, JSON.stringify(ack), {
          qos: 1,
          retain: true,
        });
      }),
    );
  };

  /** The batch to ingest, or undefined (logged, or an alert) when it cannot be. */
  const decodeBatch = (storeId: string, terminalId: string, payload: Buffer): IngestBatch | undefined => {
    let parsed: ReturnType<typeof parseRecordBatch>;
    try {
      parsed = parseRecordBatch(decodeJson(payload, options.maxBatchBytes));
    } catch (error) {
      parsed = { ok: false, error: `not JSON (or deflated JSON): ${(error as Error).message}` };
    }
    if (!parsed.ok) {
      log.warn({ storeId, terminalId, issue: parsed.error }, 'malformed record batch refused');
      return undefined;
    }
    const batch = parsed.batch;
    if (batch.storeId !== storeId || batch.terminalId !== terminalId) {
      track(
        store
          .alert(storeId, terminalId, 'wrong_terminal', null, 'batch names another terminal than its topic')
          .catch((error: unknown) => log.error({ err: error }, 'alert not stored')),
      );
      return undefined;
    }
    // Version 2 (columns): hashes and chain links are derived here, then checked at ingest.
    return batch.v === 2
      ? { storeId, terminalId, ...recordsFromCompact(batch) }
      : { storeId, terminalId, records: batch.records };
  };

  const onRecords = (storeId: string, terminalId: string, payload: Buffer): void => {
    queue.push(storeId, terminalId, payload);
  };

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
      queue.stop();
      await link.stop();
    },
  };
}
