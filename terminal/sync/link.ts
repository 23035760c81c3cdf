import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IClientOptions, IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '../logger.js';

export interface LinkOptions {
  url: string;
  clientId: string;
  protocol: 'auto' | '5' | '3.1.1';
  tls?: { caFile: string; certFile?: string; keyFile?: string; servername?: string };
  username?: string;
  password?: string;
  sessionExpirySeconds: number;
  keepaliveSeconds: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number; jitter: number; connectTimeoutMs: number };
  will?: { topic: string; payload: Buffer };
  /**
   * MQTT 5 Maximum Packet Size (§3.1.2.11.4): the broker discards, instead of sending, any packet
   * larger than this, so an oversized downlink message never reaches our memory. @default none
   */
  maximumPacketSize?: number;
  /** Topics (re)subscribed after every connect that did not resume a session. */
  subscriptions: string[];
  /**
   * A clean session (MQTT 5 Clean Start, 3.1.1 CleanSession) for one-off exchanges such as
   * `veriterm ledger recover`; the terminal's own link keeps a persistent one. @default false
   */
  clean?: boolean;
}

export interface LinkEvents {
  connect: [info: { sessionPresent: boolean; protocolVersion: 4 | 5 }];
  down: [reason: string];
  message: [topic: string, payload: Buffer, packet: IPublishPacket];
}

type MqttJs = typeof import('mqtt')['default'];
let mqttJs: Promise<MqttJs> | undefined;

/**
 * mqtt.js, imported when a link first opens (~0.3 s of CPU to load): the terminal starts its link
 * after it listens, and serves verdicts without one, so start-up does not wait for the library.
 */
function loadMqtt(): Promise<MqttJs> {
  mqttJs ??= import('mqtt').then((m) => m.default);
  return mqttJs;
}

/** CONNACK codes meaning "this broker does not speak MQTT 5" (3.1.1 §3.2.2.3 code 1, MQTT 5 §3.2.2.2 0x84). */
const UNSUPPORTED_PROTOCOL = new Set([1, 0x84]);

/** Capped exponential backoff with jitter: delay(n) = min(max, initial·2^n) · (1 ± jitter/2). */
export function backoffDelayMs(attempt: number, o: LinkOptions['reconnect'], random = Math.random): number {
  const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.max(0, Math.round(base * (1 + o.jitter * (random() - 0.5))));
}

/** MQTT 5 §3.2.2.3.3: a CONNACK without Receive Maximum means 65,535. */
const MQTT5_DEFAULT_RECEIVE_MAXIMUM = 65_535;

/**
 * QoS 1 publishes kept free of a bulk sender's window (drain batches) under the broker's Receive
 * Maximum, for status, command results, registry requests and alerts published meanwhile.
 */
const RECEIVE_MAXIMUM_RESERVE = 4;

/**
 * One MQTT connection that stays up by itself: persistent session (clean: false), our own capped
 * backoff with jitter instead of mqtt.js's fixed reconnectPeriod, and a one-way fallback from
 * MQTT 5 to 3.1.1 for brokers (e.g. aedes) that refuse protocol level 5.
 */
export class MqttLink extends EventEmitter<LinkEvents> {
  client: MqttClient | undefined;
  protocolVersion: 4 | 5;
  connected = false;
  /**
   * Connected and subscribed: the `connect` event has fired for this connection. Between CONNACK
   * and SUBACK `connected` is already true but messages to our topics are not yet routed to us.
   */
  ready = false;
  /** The broker's MQTT 5 Receive Maximum from the last CONNACK (65,535 when it sent none). */
  private serverReceiveMaximum = MQTT5_DEFAULT_RECEIVE_MAXIMUM;
  private attempt = 0;
  /** Bytes written by sockets that have closed (see `bytesSent`). */
  private closedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Counts open() calls: only the latest may connect once mqtt.js has loaded. */
  private opening = 0;
  private readonly tlsMaterial: { ca?: Buffer; cert?: Buffer; key?: Buffer };

  constructor(
    private readonly options: LinkOptions,
    private readonly logger: Logger,
  ) {
    super();
    this.protocolVersion = options.protocol === '3.1.1' ? 4 : 5;
    const t = options.tls;
    this.tlsMaterial = t
      ? {
          ca: readFileSync(t.caFile),
          ...(t.certFile ? { cert: readFileSync(t.certFile) } : {}),
          ...(t.keyFile ? { key: readFileSync(t.keyFile) } : {}),
        }
      : {};
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /**
   * Disconnects. On MQTT 5 the DISCONNECT carries reason 0x04 "Disconnect with Will Message"
   * (MQTT 5 §3.14.2.1), so the broker still publishes the will: upstream sees "offline" either way.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    const withWill = this.connected && this.protocolVersion === 5 && this.options.will !== undefined;
    this.connected = false;
    this.ready = false;
    if (client) {
      // end(false) waits for every in-flight PUBACK; unacknowledged batches are resent by the next
      // run anyway, so after a short grace period the socket is simply closed (the will fires too).
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        client.endAsync(false, withWill ? { reasonCode: 0x04 } : {}).catch(() => undefined),
        new Promise<void>((resolve) => {
          grace = setTimeout(resolve, 1000);
        }),
      ]);
      clearTimeout(grace);
      if (!client.disconnected) client.end(true);
    }
    this.client = undefined;
  }

  /** Bytes this link has put on the wire (all connections, TLS included when used). */
  bytesSent(): number {
    const socket = this.client?.stream as { bytesWritten?: number } | undefined;
    return this.closedBytes + (socket?.bytesWritten ?? 0);
  }

  async publish(topic: string, payload: Buffer | string, opts: IClientPublishOptions): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('link stopped');
    if (this.protocolVersion === 4) {
      const { properties: _ignored, ...rest } = opts;
      await client.publishAsync(topic, payload, rest);
      return;
    }
    await client.publishAsync(topic, payload, opts);
  }

  private clientOptions(): IClientOptions {
    const o = this.options;
    const v5 = this.protocolVersion === 5;
    return {
      clientId: o.clientId,
      protocolVersion: this.protocolVersion,
      clean: o.clean ?? false,
      keepalive: o.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: o.reconnect.connectTimeoutMs,
      resubscribe: false,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(v5
        ? {
            properties: {
              sessionExpiryInterval: o.sessionExpirySeconds,
              receiveMaximum: 1024,
              ...(o.maximumPacketSize ? { maximumPacketSize: o.maximumPacketSize } : {}),
            },
          }
        : {}),
      ...(o.will ? { will: { topic: o.will.topic, payload: o.will.payload, qos: 1, retain: true } } : {}),
      ...(o.tls
        ? {
            ...this.tlsMaterial,
            rejectUnauthorized: true,
            ...(o.tls.servername ? { servername: o.tls.servername } : {}),
          }
        : {}),
    };
  }

  /**
   * How many QoS 1 publishes a bulk sender may have awaiting PUBACK: the broker's Receive Maximum
   * less a reserve for other messages (at least 1). A broker receiving more than it advertised may
   * disconnect the client (0x93, Receive Maximum exceeded); mqtt.js does not hold publishes back
   * by it. MQTT 3.1.1 has no such limit.
   */
  publishWindow(): number {
    if (this.protocolVersion === 4) return Number.POSITIVE_INFINITY;
    return Math.max(1, this.serverReceiveMaximum - RECEIVE_MAXIMUM_RESERVE);
  }

  private open(): void {
    const opening = ++this.opening;
    loadMqtt().then(
      (mqtt) => {
        if (!this.stopped && opening === this.opening) this.connect(mqtt);
      },
      (error: unknown) => this.logger.error({ err: error }, 'cannot load mqtt.js: no upstream link'),
    );
  }

  private connect(mqtt: MqttJs): void {
    const client = mqtt.connect(this.options.url, this.clientOptions());
    this.client = client;
    let sawError: (Error & { code?: number | string }) | undefined;
    client.on('connect', (connack) => {
      this.attempt = 0;
      this.connected = true;
      this.serverReceiveMaximum = connack.properties?.receiveMaximum ?? MQTT5_DEFAULT_RECEIVE_MAXIMUM;
      const sessionPresent = connack.sessionPresent === true;
      this.logger.info({ protocolVersion: this.protocolVersion, sessionPresent }, 'upstream link up');
      void this.afterConnect(client, sessionPresent);
    });
    client.on('message', (topic, payload, packet) => this.emit('message', topic, payload, packet));
    client.on('error', (error: Error & { code?: number | string }) => {
      sawError = error;
    });
    client.on('close', () => {
      this.closedBytes += (client.stream as { bytesWritten?: number } | undefined)?.bytesWritten ?? 0;
      if (this.client !== client) return;
      const wasConnected = this.connected;
      this.connected = false;
      this.ready = false;
      const code = sawError?.code;
      if (
        !wasConnected &&
        this.options.protocol === 'auto' &&
        this.protocolVersion === 5 &&
        typeof code === 'number' &&
        UNSUPPORTED_PROTOCOL.has(code)
      ) {
        this.logger.info('broker refused MQTT 5; falling back to MQTT 3.1.1');
        this.protocolVersion = 4;
        client.end(true);
        if (!this.stopped) this.open();
        return;
      }
      const reason = sawError ? `${sawError.message}` : 'connection closed';
      sawError = undefined;
      this.emit('down', reason);
      this.schedule(client, reason);
    });
  }

  private async afterConnect(client: MqttClient, sessionPresent: boolean): Promise<void> {
    // A resumed session keeps our subscriptions (MQTT 5 §3.2.2.1.1); subscribing again is harmless
    // and covers brokers that lost the session (restart without persistence).
    try {
      const granted = await client.subscribeAsync(this.options.subscriptions, { qos: 1 });
      const refused = granted.filter((g) => g.qos > 2);
      if (refused.length > 0) this.logger.error({ refused }, 'broker refused subscriptions (check the ACL)');
    } catch (error) {
      this.logger.warn({ err: error }, 'subscribe failed');
    }
    if (this.client === client && client.connected) {
      this.ready = true;
      this.emit('connect', { sessionPresent, protocolVersion: this.protocolVersion });
    }
  }

  private schedule(client: MqttClient, reason: string): void {
    if (this.stopped || this.timer) return;
    const delay = backoffDelayMs(this.attempt++, this.options.reconnect);
    this.logger.warn({ reason, retryInMs: delay }, 'upstream link down');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || this.client !== client) return;
      client.reconnect();
    }, delay);
  }
}
