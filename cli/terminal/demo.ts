import { isLoopback, startDemo } from '../../terminal/demo/start-demo.js';
import { createLogger } from '../../terminal/logger.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';
import { untilSignal } from '../signals.js';

const HELP = `Usage: veriterm demo [--port N] [--host ADDR] [--data DIR]

Zero-config demo (what \`npm start\` runs): demo keys and a signed demo registry on first start,
a simulated scanner and printer, the kiosk at http://127.0.0.1:8080, an embedded MQTT broker
(127.0.0.1, logins only) and the reference upstream.
The demo binds 127.0.0.1: its sign-in PINs are printed below and are no secret. --host 0.0.0.0
(or HOST=0.0.0.0) makes it reachable from the network, PINs included.
Env: PORT (default 8080), HOST (default 127.0.0.1), VERITERM_DATA (default ./data).
`;

/** `veriterm demo`: the demo terminal. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'demo',
    argv,
    { port: { type: 'string', short: 'p' }, host: { type: 'string' }, data: { type: 'string' } },
    { usage: HELP, io, allowPositionals: false },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    io.stderr.write(
      `veriterm demo: --port: got ${JSON.stringify(values.port)}; expected an integer 0–65535\n`,
    );
    return 2;
  }
  const logger = createLogger({ level: process.env.VERITERM_LOG_LEVEL ?? 'warn' });
  const host = values.host ?? (process.env.HOST || '127.0.0.1');
  const demo = await startDemo({ logger, port, host, dataDir: values.data });
  // Embedded MQTT broker + reference upstream beside the demo terminal (README "Upstream sync").
  const { linkDemoUpstream } = await import('../demo-link.js');
  const upstream = await linkDemoUpstream(demo, logger);
  const lines = [
    `veriterm demo: kiosk at ${demo.terminal.url}/`,
    `  data: ${demo.terminal.config.dataDir}`,
    `  upstream: embedded broker at ${upstream.brokerUrl} (records, registry deltas, status)`,
    `  sign-in (checkout/manager): ${demo.users.map((u) => `${u.id} / PIN ${u.pin}`).join(', ')}`,
    '  sample codes (click them on the page, or type/scan them):',
    ...demo.samples.map((s) => `    ${s.expect.padEnd(13)} ${JSON.stringify(s.data)}`),
    `  receiving (handheld page): ${demo.terminal.url}/receiving, demo delivery labels:`,
    ...demo.receivingLabels.map((l) => `    ${l.kind.padEnd(13)} ${JSON.stringify(l.data)}`),
    `  stocktake and shipping out (handheld page): ${demo.terminal.url}/stock (receive the demo delivery first)`,
    ...(isLoopback(host)
      ? []
      : [
          `  WARNING: listening on ${host}: anyone on the network can open these pages and sign in`,
          '  with the demo PINs above. Use the default (127.0.0.1) unless you mean it.',
        ]),
    '  Ctrl+C to stop.',
    '',
  ];
  io.stdout.write(lines.join('\n'));
  await untilSignal();
  await upstream.stop();
  await demo.stop();
  return 0;
}
