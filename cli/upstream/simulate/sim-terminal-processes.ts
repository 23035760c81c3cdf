import { nextMessage, type SimChildren } from './sim-children.js';
import type { FleetPlan } from './sim-fleet-plan.js';
import type { FromTerminals, TerminalsReport, ToTerminals } from './sim-protocol.js';

/** The fleet's terminal processes, each driving its slice of the terminals. */
export interface SimTerminalProcesses {
  /** Terminals connected to the broker when the processes said ready. */
  connected: number;
  /** Every process starts selling at its share of the rate. */
  startSales(): void;
  stopSales(): void;
  /** Terminal `index` sells `code` now; resolves when the sale is signed. */
  sell(index: number, code: string, tag: string): Promise<{ signedMs: number }>;
  /** Each process drains its outboxes (120 s at most) and reports. */
  finish(): Promise<TerminalsReport[]>;
}

/**
 * Forks the terminal processes (sim-terminals-child.ts): process p takes the terminals whose
 * index is p mod `processes`, its share of the fleet's sales per second and of the drops, and the
 * seed + p. Resolves once every process has connected its terminals.
 */
export async function startTerminalProcesses(
  children: SimChildren,
  setup: Pick<FleetPlan, 'fleet' | 'drops'> & {
    processes: number;
    brokerUrl: string;
    salesPerSecond: number;
    lines: number;
    seed: number;
  },
): Promise<SimTerminalProcesses> {
  const { fleet, processes } = setup;
  const workers = Array.from({ length: processes }, () => children.fork('sim-terminals-child', []));
  const workerOf = (index: number) => workers[index % processes]!;
  const readyAll = workers.map((w) => nextMessage<{ type: 'ready'; connected: number }>(w, 'ready', 180_000));
  workers.forEach((w, p) => {
    const mine = fleet.filter((t) => t.index % processes === p);
    w.send({
      type: 'init',
      brokerUrl: setup.brokerUrl,
      terminals: mine.map(({ publicKeyPem: _public, ...spec }) => spec),
      salesPerSecond: (setup.salesPerSecond * mine.length) / fleet.length,
      lines: setup.lines,
      drops: setup.drops.filter((d) => d.index % processes === p),
      seed: setup.seed + p,
    } satisfies ToTerminals);
  });
  const connected = (await Promise.all(readyAll)).reduce((n, r) => n + r.connected, 0);

  const sold = new Map<string, (m: { signedMs: number }) => void>();
  for (const w of workers)
    w.on('message', (m: FromTerminals) => {
      if (m.type === 'sold') sold.get(m.tag)?.(m);
    });
  const sendAll = (message: ToTerminals) => {
    for (const w of workers) w.send(message);
  };
  return {
    connected,
    startSales: () => sendAll({ type: 'start' }),
    stopSales: () => sendAll({ type: 'stopSales' }),
    sell: (index, code, tag) =>
      new Promise((resolve, reject) => {
        const worker = workerOf(index);
        if (!worker.connected) return reject(new Error('terminal process already finished'));
        sold.set(tag, resolve);
        worker.send({ type: 'sell', index, codes: [code], tag } satisfies ToTerminals);
      }),
    finish: () =>
      Promise.all(
        workers.map((w) => {
          const report = nextMessage<TerminalsReport>(w, 'report', 180_000);
          w.send({ type: 'finish', timeoutMs: 120_000 } satisfies ToTerminals);
          return report;
        }),
      ),
  };
}
