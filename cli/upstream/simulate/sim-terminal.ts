import { createPrivateKey } from 'node:crypto';
import Database from 'better-sqlite3';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import type { Logger } from '../../../terminal/logger.js';
import { OutboxDrain } from '../../../terminal/sync/drain.js';
import { MqttLink } from '../../../terminal/sync/link.js';
import { syncOptionsSchema } from '../../../terminal/sync/options.js';
import { ackSchema, decodeJson } from '../../../terminal/sync/protocol.js';
import { terminalTopics } from '../../../terminal/sync/topics.js';

/** One simulated terminal as the parent describes it. */
export interface SimTerminalSpec {
  storeId: string;
  terminalId: string;
  /** PKCS#8 PEM of its own Ed25519 key (its public key is enrolled upstream). */
  privateKeyPem: string;
}

/** The terminal's own drain settings: the defaults a real terminal runs with. */
const DRAIN = syncOptionsSchema.shape.drain.parse({});

/**
 * A lightweight terminal: the real ledger (in memory: signed, hash-chained records and the
 * outbox), the real MQTT link (persistent session) and the real outbox drain with upstream's
 * acknowledgements, without HTTP, scanners or a registry. Measures each sale's lag from signing
 * to upstream's acknowledgement.
 */
export class SimTerminal {
  readonly ledger: Ledger;
  private readonly link: MqttLink;
  private readonly drain: OutboxDrain;
  /** Sales not yet acknowledged: their last record's seq and when they were signed. */
  private readonly waiting: { seq: number; signedMs: number; online: boolean; dropsAtSign: number }[] = [];
  /** Lags (ms) of acknowledged sales signed and acknowledged without a drop between, and of the others. */
  readonly lagsOnline: number[] = [];
  readonly lagsOffline: number[] = [];
  private poll: NodeJS.Timeout | undefined;
  private serial = 0;
  drops = 0;

  constructor(
    readonly spec: SimTerminalSpec & { brokerUrl: string; index: number },
    logger: Logger,
  ) {
    const { storeId, terminalId } = spec;
    this.ledger = new Ledger({
      db: new Database(':memory:'),
      identity: identityFromPrivateKey(createPrivateKey(spec.privateKeyPem)),
      storeId,
      terminalId,
    });
    const topics = terminalTopics(storeId, terminalId);
    this.link = new MqttLink(
      {
        url: spec.brokerUrl,
        clientId: `vt-sim-${storeId}-${terminalId}`,
        protocol: '5',
        sessionExpirySeconds: 3600,
        keepaliveSeconds: 60,
        reconnect: { initialDelayMs: 200, maxDelayMs: 5000, jitter: 0.3, connectTimeoutMs: 10_000 },
        subscriptions: [topics.acks],
      },
      logger,
    );
    this.drain = new OutboxDrain(
      {
        outbox: this.ledger,
        logger,
        isConnected: () => this.link.connected,
        publishWindow: () => this.link.publishWindow(),
        publish: (payload) => this.link.publish(topics.records, payload, { qos: 1 }),
      },
      { ...DRAIN, storeId, terminalId },
    );
    this.link.on('connect', () => this.drain.linkUp());
    this.link.on('down', () => this.drain.linkDown());
    this.link.on('message', (topic, payload) => {
      if (topic !== topics.acks || payload.length === 0) return;
      const ack = ackSchema.safeParse(decodeJson(payload, 64 * 1024));
      if (!ack.success || !this.drain.onAck(ack.data.ackSeq, ack.data.problem)) return;
      this.settle(this.drain.ackedSeq);
    });
  }

  get connected(): boolean {
    return this.link.connected;
  }

  start(): void {
    this.link.start();
    this.poll = setInterval(() => {
      this.drain.checkTimeout();
      this.drain.kick();
    }, DRAIN.pollIntervalMs);
  }

  /**
   * A unit code only this terminal sells: 20 digits, a 7-digit product (one of 1,000), this
   * terminal's 5-digit index and an 8-digit serial.
   */
  nextCode(): string {
    this.serial++;
    const product = 1_000_000 + (this.serial % 1000);
    return `${product}${String(this.spec.index).padStart(5, '0')}${String(this.serial).padStart(8, '0')}`;
  }

  /** One sale of `codes` (a sale record and one write-off per code, one transaction), then drained. */
  sell(codes: readonly string[]): { at: string; signedMs: number } {
    const last = this.ledger.transaction(() => {
      const sale = this.ledger.append('sale', {
        lines: codes.map((codeKey) => ({
          codeKey,
          codeTail: codeKey.slice(-4),
          reason: 'active',
          verdict: 'genuine',
        })),
      });
      let record = sale as { seq: number; at: string };
      codes.forEach((codeKey, line) => {
        record = this.ledger.append('write_off', { codeKey, saleId: sale.id, line });
      });
      return record;
    });
    const signedMs = Date.now();
    this.waiting.push({ seq: last.seq, signedMs, online: this.link.connected, dropsAtSign: this.drops });
    this.drain.kick();
    return { at: last.at, signedMs };
  }

  private settle(ackedSeq: number): void {
    const now = Date.now();
    while (this.waiting.length > 0 && this.waiting[0]!.seq <= ackedSeq) {
      const sale = this.waiting.shift()!;
      // A sale whose link dropped before its ack waited out the outage: it counts as offline.
      const online = sale.online && sale.dropsAtSign === this.drops;
      (online ? this.lagsOnline : this.lagsOffline).push(now - sale.signedMs);
    }
  }

  /** The link goes away for `ms` (sales go on into the outbox), then reconnects to its session. */
  async dropFor(ms: number): Promise<void> {
    this.drops++;
    await this.link.stop();
    setTimeout(() => this.link.start(), ms).unref();
  }

  /** Highest seq written, and whether upstream acknowledged all of it. */
  head(): { head: number; acked: number } {
    return { head: this.ledger.headSeq(), acked: this.drain.ackedSeq };
  }

  async stop(): Promise<void> {
    clearInterval(this.poll);
    this.drain.flushAck();
    await this.link.stop();
  }
}
