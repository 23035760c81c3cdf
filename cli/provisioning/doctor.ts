import { runDoctor } from '../../provisioning/doctor/run-doctor.js';
import { formatChecks } from '../../provisioning/doctor/types.js';
import { resolveConfigFile } from '../../terminal/config/config-file.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';

const HELP = `Usage: veriterm doctor [--config FILE] [--json]

Checks config (all bad fields), identity key, scanners and printers, registry root and
freshness, broker login and TLS, clock and disk. Prints OK/WARN/FAIL with the remedy; exits 1
when anything FAILs. Default config: /etc/veriterm/config.json (or env VERITERM_CONFIG).
`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'doctor',
    argv,
    {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    },
    { usage: HELP, io, allowPositionals: false },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const configFile = resolveConfigFile(values.config);
  const checks = await runDoctor({ configFile });
  const failed = checks.filter((c) => c.level === 'fail').length;
  const warned = checks.filter((c) => c.level === 'warn').length;
  if (values.json)
    io.stdout.write(`${JSON.stringify({ status: 'ok', data: { checks, failed, warned } }, null, 2)}\n`);
  else
    io.stdout.write(
      `${formatChecks(checks)}\n\n${failed} FAIL, ${warned} WARN, ${checks.length - failed - warned} OK\n`,
    );
  return failed > 0 ? 1 : 0;
}
