import { decommission } from '../../provisioning/decommission.js';
import { resolveConfigFile } from '../../terminal/config/config-file.js';
import { VeritermError } from '../../terminal/errors.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';

const HELP = `Usage: veriterm decommission [--config FILE] [--force]

Takes a terminal out of service: refuses while records are unsynced (unless --force), stops and
disables the service, publishes a retained final status "decommissioned", asks upstream to revoke
the enrolment, removes the units and udev rules, then wipes keys, credentials, pinned root, local
data and the config file. Each step is reported; a revocation upstream refused says how to finish.
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
    const result = await decommission({
      configFile,
      force: values.force ?? false,
      log: (line) => io.stdout.write(`${line}\n`),
    });
    const unfinished = result.steps.filter((s) => !s.ok);
    if (unfinished.length > 0) {
      io.stderr.write(
        `veriterm decommission: wiped, but ${unfinished.map((s) => s.step).join(', ')} not done (see WARN above)\n`,
      );
      return 1;
    }
    io.stdout.write('veriterm decommission: done\n');
    return 0;
  } catch (error) {
    if (error instanceof VeritermError) {
      const tail = error.code === 'wipe_failed' ? '' : 'Nothing was wiped.\n';
      io.stderr.write(`veriterm decommission: ${error.message} [${error.code}]\n${tail}`);
      return 1;
    }
    throw error;
  }
}
