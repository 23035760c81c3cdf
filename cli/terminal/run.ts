import { formatConfigIssues, loadConfigFile } from '../../terminal/config/load-config.js';
import { createLogger } from '../../terminal/logger.js';
import { startTerminal } from '../../terminal/main.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';
import { untilSignal } from '../signals.js';

const HELP = `Usage: veriterm run --config FILE

Starts the terminal from a JSON config file (reference: docs/configuration.md).
Env overrides: PORT (http.port), VERITERM_DATA (dataDir).
A bad config exits 1 and lists every bad field with its value and what was expected.
`;

/** `veriterm run --config FILE`: the production entry point. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'run',
    argv,
    { config: { type: 'string', short: 'c' } },
    { usage: HELP, io, allowPositionals: false },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  if (!values.config) {
    io.stderr.write(`veriterm run: --config FILE is required\n\n${HELP}`);
    return 2;
  }
  const result = loadConfigFile(values.config);
  if (!result.ok) {
    io.stderr.write(
      `veriterm run: ${values.config} has ${result.issues.length} bad field(s):\n${formatConfigIssues(result.issues)}\n`,
    );
    return 1;
  }
  const logger = createLogger({ level: result.config.log.level });
  const terminal = await startTerminal(result.config, logger);
  io.stdout.write(`veriterm: terminal ${result.config.terminal.terminalId} listening on ${terminal.url}\n`);
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await terminal.stop();
  return 0;
}
