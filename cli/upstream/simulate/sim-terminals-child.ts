/**
 * One process of the fleet simulator: hosts a share of the simulated terminals (sim-terminal.ts),
 * sells at its share of the fleet's rate, drops the links it is told to, and reports heads and
 * lags. Driven by the parent (sim-terminal-processes.ts) over the fork IPC channel (sim-protocol.ts).
 */
import { createLogger } from '../../../terminal/logger.js';
import { type FromTerminals, seededRandom, type ToTerminals } from './sim-protocol.js';
import { SimTerminal } from './sim-terminal.js';

const TICK_MS = 20;
const logger = createLogger({ level: process.env.VERITERM_SIM_LOG ?? 'error', destination: process.stderr });
const send = (message: FromTerminals) => process.send?.(message);

let terminals: SimTerminal[] = [];
let byIndex = new Map<number, SimTerminal>();
let init: Extract<ToTerminals, { type: 'init' }> | undefined;
let ticker: NodeJS.Timeout | undefined;
let sales = 0;

function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const poll = () => {
      if (check()) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else setTimeout(poll, 50);
    };
    poll();
  });
}

async function onInit(message: Extract<ToTerminals, { type: 'init' }>): Promise<void> {
  init = message;
  terminals = message.terminals.map(
    (spec) => new SimTerminal({ ...spec, brokerUrl: message.brokerUrl }, logger),
  );
  byIndex = new Map(terminals.map((t) => [t.spec.index, t]));
  // Connect in small waves: 250 CONNECTs at once from one process only queue up in the broker.
  for (let i = 0; i < terminals.length; i += 25) {
    for (const t of terminals.slice(i, i + 25)) t.start();
    await waitUntil(() => terminals.slice(i, i + 25).every((t) => t.connected), 30_000);
  }
  send({ type: 'ready', connected: terminals.filter((t) => t.connected).length });
}

function onStart(): void {
  const message = init!;
  const random = seededRandom(message.seed);
  const startedMs = Date.now();
  for (const drop of message.drops) {
    setTimeout(() => {
      byIndex
        .get(drop.index)
        ?.dropFor(drop.forMs)
        .catch((error: unknown) => logger.warn({ err: error }, 'drop failed'));
    }, drop.atMs).unref();
  }
  let owed = 0;
  let lastMs = startedMs;
  ticker = setInterval(() => {
    const now = Date.now();
    owed += ((now - lastMs) * message.salesPerSecond) / 1000;
    lastMs = now;
    while (owed >= 1) {
      owed--;
      const t = terminals[Math.floor(random() * terminals.length)]!;
      t.sell(Array.from({ length: message.lines }, () => t.nextCode()));
      sales++;
    }
  }, TICK_MS);
}

async function onFinish(timeoutMs: number): Promise<void> {
  clearInterval(ticker);
  await waitUntil(() => terminals.every((t) => t.head().acked === t.head().head), timeoutMs);
  const cpu = process.cpuUsage();
  send({
    type: 'report',
    heads: terminals.map((t) => ({ storeId: t.spec.storeId, terminalId: t.spec.terminalId, ...t.head() })),
    lagsOnline: terminals.flatMap((t) => t.lagsOnline),
    lagsOffline: terminals.flatMap((t) => t.lagsOffline),
    sales,
    drops: terminals.reduce((n, t) => n + t.drops, 0),
    cpuMs: (cpu.user + cpu.system) / 1000,
  });
  await Promise.all(terminals.map((t) => t.stop()));
  process.disconnect?.();
}

/** A failure here would leave the parent waiting: say why on stderr and leave. */
const fail = (error: unknown) => {
  logger.error({ err: error }, 'simulated terminals failed');
  process.exit(1);
};

process.on('message', (message: ToTerminals) => {
  if (message.type === 'init') onInit(message).catch(fail);
  else if (message.type === 'start') onStart();
  else if (message.type === 'stopSales') clearInterval(ticker);
  else if (message.type === 'sell') {
    const t = byIndex.get(message.index);
    if (!t) return;
    const sold = t.sell(message.codes);
    sales++;
    send({ type: 'sold', tag: message.tag, ...sold });
  } else if (message.type === 'finish') onFinish(message.timeoutMs).catch(fail);
});
