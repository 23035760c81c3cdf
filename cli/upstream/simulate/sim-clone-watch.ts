import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../../terminal/logger.js';
import type { RootMetadata } from '../../../terminal/registry/root.js';
import type { ClonePair, EnrolledDevice } from './sim-fleet-plan.js';
import { SimKiosk } from './sim-kiosk.js';

/** The clone alerts page of the enforcement feed, as far as the watch reads it. */
interface AlertsPage {
  data: { alerts: { id: number; codes: string[]; detectedAt: string }[]; next: number | null };
}

/**
 * The clone pairs, watched as the people they concern see them: a pair's code is sold at store X;
 * a shopper at store Y scans the pack at the kiosk there (how soon does it say already_sold?); the
 * code is sold at Y too; a brand-protection team reads the clone alert in the enforcement feed
 * (how soon after that second sale?).
 */
export class SimCloneWatch {
  private readonly timers: NodeJS.Timeout[] = [];
  /** Clone flows still running (watching a kiosk): the fleet is not finished under them. */
  private readonly flows = new Set<Promise<unknown>>();
  /** Each pair's sale at store Y: when it was signed, by code. */
  private readonly cloneSigned = new Map<string, number>();
  /** First sale signed → the kiosk at the other store says already_sold (ms), one per pair. */
  private readonly alreadySold: number[] = [];
  /** Each alerted code: when the feed says it was detected. */
  private readonly cloneAlerted = new Map<string, number>();
  private cursor = 0;
  private feedTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly pairs: readonly ClonePair[],
    private readonly kiosks: Map<string, SimKiosk>,
    private readonly feed: { url: string; token: string },
  ) {}

  /**
   * Starts a kiosk at each store Y of the pairs (the terminal's real sync, pinning `root`) and
   * resolves once each holds the registry, or after 120 s.
   */
  static async start(setup: {
    pairs: readonly ClonePair[];
    kioskKeys: readonly EnrolledDevice[];
    brokerUrl: string;
    /** The run's directory: each kiosk keeps its files under kiosks/STORE. */
    dir: string;
    root: RootMetadata;
    feed: { url: string; token: string };
  }): Promise<SimCloneWatch> {
    const kiosks = new Map(
      setup.kioskKeys.map((k) => [
        k.storeId,
        new SimKiosk(
          { ...k, brokerUrl: setup.brokerUrl, dir: join(setup.dir, 'kiosks', k.storeId), root: setup.root },
          silentLogger(),
        ),
      ]),
    );
    await Promise.all([...kiosks.values()].map((k) => k.start()));
    const kioskDeadline = Date.now() + 120_000;
    while ([...kiosks.values()].some((k) => k.version() === undefined) && Date.now() < kioskDeadline)
      await sleep(100);
    return new SimCloneWatch(setup.pairs, kiosks, setup.feed);
  }

  /** Kiosks watching. */
  get kioskCount(): number {
    return this.kiosks.size;
  }

  /** Codes the feed has alerted as clones so far. */
  get alertedCount(): number {
    return this.cloneAlerted.size;
  }

  /**
   * From the start of sales: plays pair k at 20 % to 80 % of `durationMs` (spread evenly), its
   * sales made through `sell`; and polls the feed every 250 ms.
   */
  begin(run: {
    durationMs: number;
    sell: (index: number, code: string, tag: string) => Promise<{ signedMs: number }>;
  }): void {
    this.pairs.forEach((pair, k) => {
      const atMs = run.durationMs * (0.2 + (0.6 * k) / Math.max(1, this.pairs.length));
      this.timers.push(
        setTimeout(() => {
          const flow = run
            .sell(pair.x.index, pair.code, `${pair.code}-x`)
            .then(async ({ signedMs }) => {
              // A shopper at store Y scans the pack: how soon does the kiosk there say already_sold?
              const kiosk = this.kiosks.get(pair.y.storeId)!;
              const until = Date.now() + 60_000;
              while (kiosk.verdict(pair.code) !== 'already_sold' && Date.now() < until) await sleep(20);
              if (kiosk.verdict(pair.code) === 'already_sold') this.alreadySold.push(Date.now() - signedMs);
            })
            .then(() => run.sell(pair.y.index, pair.code, `${pair.code}-y`))
            .then(({ signedMs }) => this.cloneSigned.set(pair.code, signedMs))
            .catch(() => undefined);
          this.flows.add(flow);
          void flow.finally(() => this.flows.delete(flow));
        }, atMs),
      );
    });
    this.feedTimer = setInterval(() => {
      this.pollFeed().catch(() => undefined);
    }, 250);
  }

  /** Sales have stopped: pairs not started yet are dropped; those started finish (each watch is bounded). */
  async endSales(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.all([...this.flows]);
  }

  /** Polls the feed until every pair sold at both stores is alerted, or `timeoutMs` has passed; then stops polling. */
  async awaitAlerts(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.cloneAlerted.size < this.cloneSigned.size && Date.now() < deadline) {
      await this.pollFeed().catch(() => undefined);
      await sleep(250);
    }
    clearInterval(this.feedTimer);
  }

  /** Second sale signed → its clone alert, for each alerted pair; first sale → already_sold at the kiosk (ms). */
  latencies(): { cloneAlertMs: number[]; alreadySoldMs: number[] } {
    const cloneAlertMs = [...this.cloneSigned].flatMap(([code, signedMs]) => {
      const at = this.cloneAlerted.get(code);
      return at === undefined ? [] : [Math.max(0, at - signedMs)];
    });
    return { cloneAlertMs, alreadySoldMs: [...this.alreadySold] };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.kiosks.values()].map((k) => k.stop()));
  }

  /** The clone alerts, as a brand-protection team would read them: the HTTP feed. */
  private async pollFeed(): Promise<void> {
    const res = await fetch(`${this.feed.url}/v1/alerts?kind=clone&source=upstream&after=${this.cursor}`, {
      headers: { authorization: `Bearer ${this.feed.token}` },
    });
    const body = (await res.json()) as AlertsPage;
    for (const alert of body.data.alerts) {
      this.cursor = Math.max(this.cursor, alert.id);
      for (const code of alert.codes) this.cloneAlerted.set(code, Date.parse(alert.detectedAt));
    }
  }
}
