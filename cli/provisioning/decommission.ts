import { decommission } from '../../provisioning/decommission.js';
import { resolveConfigFile } from '../../terminal/config/config-file.js';
import { VeritermError } from '../../terminal/errors.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';

const HELP = `Usage: veriterm decommission [--config FILE] [--force]

Takes a terminal out of service: refuses while records are unsynced (unless --force), publishes
a retained final status "decommissioned", then wipes keys, credentials, pinned root, local data
and the config file.
`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'decommission',
    argv,
    {
      config: { type: 'string', short: 'c' },
      force: { type: 'boolean' },
    },
    { usage: HELP, io, allowPositionals: false },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const configFile = resolveConfigFile(values.config);
  try {
    await decommission({
      configFile,
      force: values.force ?? false,
      log: (line) => io.stdout.write(`${line}\n`),
    });
    io.stdout.write('veriterm decommission: done\n');
    return 0;
  } catch (error) {
    if (error instanceof VeritermError) {
      io.stderr.write(`veriterm decommission: ${error.message} [${error.code}]\nNothing was wiped.\n`);
      return 1;
    }
    throw error;
  }
}
