import type { KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { SqliteDatabase } from '../db/open-database.js';
import { VeritermError } from '../errors.js';
import type { HealthReporter } from '../health/types.js';
import type { OutboxReader } from '../ledger/types.js';
import type { Logger } from '../logger.js';
import { checkCommand } from './command-guard.js';
import { parseEd25519PublicKey } from './command-signing.js';
import { DeliveryDownlink, type DeliveryNoteReceiver } from './delivery-downlink.js';
import { OutboxDrain } from './drain.js';
import { MqttLink } from './link.js';
import { type SyncOptions, type SyncOptionsInput, syncOptionsSchema } from './options.js';
import {
  ackSchema,
  announcementSchema,
  type CommandResult,
  type DeliveryOutcome,
  decodeJson,
  PROTOCOL_VERSION,
  type SignedCommand,
} from './protocol.js';
import { type RegistryApplier, RegistryTransfer, type TransferProgress } from './registry-transfer.js';
import { RequestClient } from './request-client.js';
import { SyncStore } from './sync-store.js';
import { registryTopics, terminalTopics } from './topics.js';

export interface SyncDeps {
  /** The ledger's outbox (terminal/ledger `Ledger`). */
  outbox: OutboxReader;
  /** Database for sync's own state (command nonces, transfer bookkeeping); may be the ledger's. */
  db: SqliteDatabase;
  logger: Logger;
  health?: HealthReporter;
  /** Applies verified registry releases (terminal/registry). Without it, announcements are ignored. */
  registry?: RegistryApplier;
  /** Directory for partial registry downloads (resumed after restarts). */
  stagingDir: string;
  /** Health summary put in the retained status document. */
  healthSummary?: () => Record<string, unknown>;
  /** `reload_config` command. */
  onReloadConfig?: () => unknown;
  /** `health` command: the full health report (every item with its details), not the summary. */
  healthReport?: () => unknown;
  /**
   * Delivery notes on `deliveries` (terminal/receiving `receiveDeliveryNotes`, on terminal.db's
   * connection). Without it the terminal does not subscribe to the topic.
   */
  deliveries?: DeliveryNoteReceiver;
  /** `request_logs` command: returns recent log text. */
  collectLogs?: (args: Record<string, unknown>) => unknown;
  now?: () => number;
}

export interface SyncStatus {
  link: 'up' | 'down';
  protocolVersion: 4 | 5;
  lastAckedSeq: number;
  lastAckAt?: string;
  backlog: number;
  oldestPendingAt?: string;
  inFlightBatches: number;
  /** Acknowledgements refused since start (malformed, or beyond our ledger's head). */
  rejectedAcks: number;
  /** Bytes put on the wire by the link since start. */
  bytesSent: number;
  transfers: TransferProgress[];
}

export interface SyncEvents {
  connected: [{ sessionPresent: boolean; protocolVersion: 4 | 5 }];
  disconnected: [string];
  acked: [number];
  /** Upstream's clock, read from a live (not retained) message just received. */
  upstreamTime: [string];
  command: [SignedCommand];
  /** A delivery note's outcome, as reported upstream on `deliveries/result`. */
  delivery: [DeliveryOutcome];
  refused: [{ topic: string; code: string; message: string }];
  statusPublished: [Record<string, unknown>];
}

export interface Sync {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Drain now (call after appending a record; otherwise the outbox is polled). */
  kick(): void;
  /** Republishes the retained status document. */
  rebirth(): Promise<void>;
  status(): SyncStatus;
  readonly events: EventEmitter<SyncEvents>;
  readonly options: SyncOptions;
}

/** Reads `credentialsFile` and `commandKeysFile`; a missing or malformed file is a fault naming it. */
function readReferencedFiles(options: SyncOptions): {
  username?: string;
  password?: string;
  commandKeys: string[];
} {
  const read = (file: string, what: string): Record<string, unknown> => {
    try {
      const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
      return value as Record<string, unknown>;
    } catch (error) {
      // The parse error is left out: it could echo a password.
      throw new VeritermError('sync_config', `sync.${what} ${file}: expected a readable JSON object`, {
        cause: (error as NodeJS.ErrnoException).code ?? 'invalid',
      });
    }
  };
  const out: { username?: string; password?: string; commandKeys: string[] } = { commandKeys: [] };
  if (options.username !== undefined) out.username = options.username;
  if (options.password !== undefined) out.password = options.password;
  if (options.credentialsFile) {
    const c = read(options.credentialsFile, 'credentialsFile');
    if (typeof c.username === 'string') out.username = c.username;
    if (typeof c.password === 'string') out.password = c.password;
  }
  if (options.commandKeysFile) {
    const k = read(options.commandKeysFile, 'commandKeysFile').commandKeys;
    if (!Array.isArray(k) || !k.every((x) => typeof x === 'string')) {
      throw new VeritermError(
        'sync_config',
        `sync.commandKeysFile ${options.commandKeysFile}: expected { "commandKeys": [PEM, …] }`,
      );
    }
    out.commandKeys = k as string[];
  }
  return out;
}

/** The upstream link for the composition root: outbox drain, status, commands, registry updates. */
export function createSync(deps: SyncDeps, input: SyncOptionsInput): Sync {
  const options = syncOptionsSchema.parse(input);
  const log = deps.logger.child({ module: 'sync' });
  const now = deps.now ?? Date.now;
  const topics = terminalTopics(options.storeId, options.terminalId);
  const store = new SyncStore(deps.db);
  const events = new EventEmitter<SyncEvents>();
  const files = readReferencedFiles(options);
  const keys: KeyObject[] = [...options.commands.publicKeys, ...files.commandKeys].map(parseEd25519PublicKey);
  const offline = Buffer.from(
    JSON.stringify({
      v: PROTOCOL_VERSION,
      state: 'offline',
      storeId: options.storeId,
      terminalId: options.terminalId,
    }),
  );
  const scopeTopics = options.registry.scopes.map((scope) => ({ scope, topics: registryTopics(scope) }));
  const link = new MqttLink(
    {
      url: options.brokerUrl,
      clientId: options.clientId ?? `vt-${options.storeId}-${options.terminalId}`,
      protocol: options.protocol,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(files.username !== undefined ? { username: files.username } : {}),
      ...(files.password !== undefined ? { password: files.password } : {}),
      sessionExpirySeconds: options.sessionExpirySeconds,
      keepaliveSeconds: options.keepaliveSeconds,
      reconnect: options.reconnect,
      will: { topic: topics.status, payload: offline },
      // MQTT 5: the broker drops, instead of sending us, a packet larger than any message our
      // options could accept (a delivery note, else maxDownlinkBytes); smaller ones are refused here.
      maximumPacketSize: Math.max(options.maxDownlinkBytes, options.deliveries.maxNoteBytes) + 64 * 1024,
      subscriptions: [
        topics.acks,
        topics.cmd,
        topics.registryResponse,
        ...(deps.deliveries ? [topics.deliveries] : []),
        ...(deps.registry ? scopeTopics.map((s) => s.topics.manifest) : []),
      ],
    },
    log,
  );
  const drain = new OutboxDrain(
    {
      outbox: deps.outbox,
      logger: log,
      isConnected: () => link.connected,
      publishWindow: () => link.publishWindow(),
      publish: (payload) => link.publish(topics.records, payload, { qos: 1 }),
      now,
    },
    { ...options.drain, storeId: options.storeId, terminalId: options.terminalId },
  );
  const requests = new RequestClient(
    (payload, correlation) =>
      link.publish(topics.registryRequest, payload, {
        qos: 1,
        properties: { responseTopic: topics.registryResponse, correlationData: Buffer.from(correlation) },
      }),
    topics.registryResponse,
  );
  const transfers = new Map<string, RegistryTransfer>();
  if (deps.registry) {
    for (const { scope } of scopeTopics) {
      transfers.set(
        scope,
        new RegistryTransfer(
          {
            applier: deps.registry,
            requests,
            stagingDir: deps.stagingDir,
            logger: log,
            ...(deps.health ? { health: deps.health } : {}),
            isConnected: () => link.connected,
          },
          scope,
          options.registry,
        ),
      );
    }
  }
  let ticker: NodeJS.Timeout | undefined;
  let lastAckReportMs = 0;
  let ackReportTimer: NodeJS.Timeout | undefined;
  let statusTimer: NodeJS.Timeout | undefined;

  const status = (): SyncStatus => {
    const s = deps.outbox.stats();
    return {
      // Up once subscribed (the connect event): downlink commands and acks reach it from then on.
      link: link.ready ? 'up' : 'down',
      protocolVersion: link.protocolVersion,
      lastAckedSeq: drain.ackedSeq,
      ...(drain.lastAckAt ? { lastAckAt: drain.lastAckAt } : {}),
      backlog: s.pending,
      ...(s.oldestPendingAt ? { oldestPendingAt: s.oldestPendingAt } : {}),
      inFlightBatches: drain.stats().inFlightBatches,
      rejectedAcks: drain.rejectedAcks,
      bytesSent: link.bytesSent(),
      transfers: [...transfers.values()].map((t) => ({ ...t.progress })),
    };
  };

  const reportHealth = (): void => {
    if (!deps.health) return;
    let s: ReturnType<typeof status>;
    try {
      s = status();
    } catch (error) {
      // A timer or ack that fires while the terminal is shutting down (its database already closed)
      // must not become an uncaught exception: there is nothing left to report.
      log.debug({ err: error }, 'sync status unavailable');
      return;
    }
    const problem = drain.problem;
    const rejected = drain.rejectedAck;
    deps.health.report('upstream', {
      level: s.link === 'up' && !problem && !rejected ? 'ok' : 'warn',
      ...(s.link === 'down'
        ? {
            code: 'upstream.offline',
            params: { backlog: s.backlog },
            reason: `No link to upstream; ${s.backlog} records waiting`,
          }
        : problem
          ? {
              code: 'upstream.refused',
              params: { seq: problem.seq, code: problem.code },
              reason: `Upstream refused record ${problem.seq}: ${problem.code}`,
            }
          : rejected
            ? {
                code: 'upstream.impossible_ack',
                params: { detail: rejected.detail },
                reason: `Upstream acknowledgement ignored (${rejected.code}): ${rejected.detail}`,
              }
            : s.backlog > 0
              ? {
                  code: 'upstream.sending',
                  params: { backlog: s.backlog },
                  reason: `Sending ${s.backlog} records to upstream`,
                }
              : { code: 'upstream.delivered', reason: 'Connected to upstream; all records delivered' }),
      details: { ...s, ...(rejected ? { rejectedAck: rejected } : {}) },
    });
  };

  const rebirth = async (): Promise<void> => {
    if (!link.connected) return;
    const s = status();
    const doc = {
      v: PROTOCOL_VERSION,
      state: 'online',
      storeId: options.storeId,
      terminalId: options.terminalId,
      at: new Date(now()).toISOString(),
      link: { protocolVersion: s.protocolVersion },
      outbox: {
        backlog: s.backlog,
        lastAckedSeq: s.lastAckedSeq,
        oldestPendingAt: s.oldestPendingAt ?? null,
      },
      registry: Object.fromEntries(
        options.registry.scopes.map((scope) => [scope, deps.registry?.currentVersion(scope) ?? null]),
      ),
      health: deps.healthSummary?.() ?? {},
    };
    await link.publish(topics.status, JSON.stringify(doc), { qos: 1, retain: true });
    events.emit('statusPublished', doc);
  };

  const refuse = (
    topic: string,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
  ): void => {
    log.warn({ topic, code, ...extra }, `downlink message refused: ${message}`);
    events.emit('refused', { topic, code, message });
  };

  const publishResult = async (id: string, name: string, result: CommandResult['result']): Promise<void> => {
    const doc: CommandResult = { v: PROTOCOL_VERSION, id, name, at: new Date(now()).toISOString(), result };
    await link.publish(topics.cmdResult, JSON.stringify(doc), { qos: 1 }).catch(() => undefined);
  };

  const runCommand = async (command: SignedCommand): Promise<unknown> => {
    switch (command.name) {
      case 'sync_now':
        drain.resetToAcked();
        drain.kick();
        for (const t of transfers.values()) t.trigger();
        return { backlog: deps.outbox.stats().pending };
      case 'rebirth':
        await rebirth();
        return { republished: true };
      case 'reload_config':
        return (await deps.onReloadConfig?.()) ?? { reloaded: deps.onReloadConfig !== undefined };
      case 'request_logs':
        return (await deps.collectLogs?.(command.args)) ?? { logs: null };
      case 'health':
        return deps.healthReport?.() ?? deps.healthSummary?.() ?? { health: null };
    }
  };

  const onCommand = async (topic: string, body: unknown): Promise<void> => {
    const check = checkCommand(body, {
      keys,
      storeId: options.storeId,
      terminalId: options.terminalId,
      maxClockSkewMs: options.commands.maxClockSkewMs,
      store,
      nowMs: now(),
    });
    if (!check.ok) {
      refuse(topic, check.code, check.message, check.id ? { commandId: check.id } : {});
      if (check.id)
        await publishResult(check.id, 'refused', {
          status: 'error',
          error: { code: check.code, message: check.message },
        });
      return;
    }
    const { command } = check;
    log.info({ commandId: command.id, name: command.name }, 'running upstream command');
    events.emit('command', command);
    try {
      const data = await runCommand(command);
      await publishResult(command.id, command.name, { status: 'ok', data });
    } catch (error) {
      log.error({ err: error, commandId: command.id }, 'command failed');
      await publishResult(command.id, command.name, {
        status: 'error',
        error: { code: 'command_failed', message: (error as Error).message },
      });
    }
  };

  /** Health after an ack: at once when it changed something worth seeing, else at most once a second. */
  const reportAfterAck = (urgent: boolean): void => {
    // Counting the outbox costs a query: during a drain, at most once a second (and once after).
    if (urgent || now() - lastAckReportMs >= 1000) {
      lastAckReportMs = now();
      reportHealth();
      return;
    }
    ackReportTimer ??= setTimeout(() => {
      ackReportTimer = undefined;
      lastAckReportMs = now();
      reportHealth();
    }, 1000);
  };

  /**
   * An acknowledgement is validated before it moves anything (OutboxDrain.onAck): one that does not
   * parse, or that claims more than our ledger holds, is refused, counted and shown on health.
   */
  const onAck = (topic: string, payload: Buffer, retained: boolean): void => {
    let body: unknown;
    try {
      body = decodeJson(payload, options.maxDownlinkBytes);
    } catch (error) {
      drain.rejectAck('malformed_ack', `not JSON: ${(error as Error).message}`.slice(0, 200));
      refuse(topic, 'malformed', 'acknowledgement is not JSON');
      reportAfterAck(true);
      return;
    }
    const ack = ackSchema.safeParse(body);
    if (!ack.success) {
      const issue = ack.error.issues[0];
      const detail = issue ? `${issue.path.join('.') || '(ack)'}: ${issue.message}` : 'invalid ack';
      drain.rejectAck('malformed_ack', detail.slice(0, 200));
      refuse(topic, 'malformed', detail);
      reportAfterAck(true);
      return;
    }
    const hadRejected = drain.rejectedAck !== undefined;
    if (!drain.onAck(ack.data.ackSeq, ack.data.problem)) {
      refuse(topic, 'impossible_ack', drain.rejectedAck?.detail ?? 'impossible acknowledgement');
      reportAfterAck(true);
      return;
    }
    events.emit('acked', drain.ackedSeq);
    // A retained ack may be hours old: only one sent just now says what upstream's clock reads.
    if (ack.data.at !== undefined && !retained) events.emit('upstreamTime', ack.data.at);
    reportAfterAck(hadRejected || ack.data.problem !== undefined);
  };

  const deliveries = deps.deliveries
    ? new DeliveryDownlink(
        {
          receive: deps.deliveries,
          trust: () => ({
            keys,
            storeId: options.storeId,
            maxClockSkewMs: options.commands.maxClockSkewMs,
            nonces: store,
            nowMs: now(),
          }),
          publishOutcome: (outcome) =>
            link.publish(topics.deliveryResult, JSON.stringify(outcome), { qos: 1 }),
          refuse: (code, message, extra) => refuse(topics.deliveries, code, message, extra),
          onOutcome: (outcome) => events.emit('delivery', outcome),
          logger: log,
          now,
        },
        options.deliveries,
      )
    : undefined;

  const onMessage = async (topic: string, payload: Buffer, retained = false): Promise<void> => {
    // Notes are bounded on their own (budget and size before parsing): they may exceed maxDownlinkBytes.
    if (deliveries && topic === topics.deliveries) return deliveries.onMessage(payload);
    if (payload.length > options.maxDownlinkBytes) {
      refuse(
        topic,
        'oversized',
        `${payload.length} bytes exceeds maxDownlinkBytes ${options.maxDownlinkBytes}`,
      );
      return;
    }
    if (topic === topics.registryResponse) {
      requests.onResponse(payload);
      return;
    }
    if (payload.length === 0) return; // a cleared retained message
    if (topic === topics.acks) {
      onAck(topic, payload, retained);
      return;
    }
    const body = decodeJson(payload, options.maxDownlinkBytes);
    if (topic === topics.cmd) return onCommand(topic, body);
    const scope = scopeTopics.find((s) => s.topics.manifest === topic);
    if (scope) {
      const ann = announcementSchema.safeParse(body);
      if (!ann.success || ann.data.scope !== scope.scope) {
        return refuse(
          topic,
          'malformed',
          ann.success ? 'announcement for another scope' : (ann.error.issues[0]?.message ?? 'invalid'),
        );
      }
      transfers.get(scope.scope)?.onAnnouncement(ann.data);
      return;
    }
    refuse(topic, 'unexpected_topic', 'no handler for this topic');
  };

  link.on('message', (topic, payload, packet) => {
    onMessage(topic, payload, packet?.retain === true).catch((error: unknown) => {
      refuse(topic, 'malformed', (error as Error).message);
    });
  });
  link.on('connect', (info) => {
    drain.linkUp();
    for (const t of transfers.values()) t.trigger();
    rebirth().catch((error: unknown) => log.warn({ err: error }, 'status publish failed'));
    reportHealth();
    events.emit('connected', info);
  });
  link.on('down', (reason) => {
    drain.linkDown();
    requests.failAll(`link down: ${reason}`);
    reportHealth();
    events.emit('disconnected', reason);
  });

  return {
    options,
    events,
    status,
    kick: () => drain.kick(),
    rebirth,
    async start() {
      if (ticker) return;
      link.start();
      reportHealth();
      ticker = setInterval(() => {
        drain.checkTimeout();
        drain.kick();
      }, options.drain.pollIntervalMs);
      statusTimer = setInterval(() => {
        reportHealth();
        rebirth().catch(() => undefined);
      }, options.statusIntervalMs);
    },
    async stop() {
      clearInterval(ticker);
      clearInterval(statusTimer);
      clearTimeout(ackReportTimer);
      ticker = undefined;
      requests.failAll('stopped');
      drain.flushAck();
      await Promise.all([...transfers.values()].map((t) => t.stop()));
      if (link.connected && link.protocolVersion === 4) {
        // MQTT 3.1.1 has no "disconnect with will": say offline ourselves.
        await link.publish(topics.status, offline, { qos: 1, retain: true }).catch(() => undefined);
      }
      await link.stop();
    },
  };
}
