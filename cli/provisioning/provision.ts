import { readFileSync } from 'node:fs';
import { type AnswersInput, answersSchema } from '../../provisioning/answers.js';
import { answersUi } from '../../provisioning/answers-ui.js';
import { clackUi } from '../../provisioning/clack-ui.js';
import { provision } from '../../provisioning/provision.js';
import { UsageError, VeritermError } from '../../terminal/errors.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';

const HELP = `Usage: veriterm provision [--answers FILE.json] [flags]

Brings up a terminal: devices (test scan, test print), identity key, enrolment with upstream
(one-time code, registry root fingerprint), config, system services, doctor and a summary slip.
On a TTY without --answers it asks; otherwise every missing answer is an error.

  --answers FILE       JSON answers (docs/provisioning.md lists the fields)
  --config FILE        config file to write (default /etc/veriterm/config.json)
  --data-dir DIR       keys, pinned root, credentials, databases (default /var/lib/veriterm)
  --store ID --terminal ID --role kiosk|checkout
  --scanner PATH|none  serial scanner (stable /dev/serial/by-id path)
  --printer HOST[:PORT]|none   network receipt printer
  --broker URL --code CODE --fingerprint FP
  --http-port N  --locale zh-CN|en  --system-root DIR  --install auto|install|print
  --broker-ca FILE  --enrol-user NAME  --enrol-password PW   enrolment connection
  --serial-dir DIR  --probe-printer HOST[:PORT]   extra places to detect devices
  --skip-test-scan  --skip-test-print  --force
`;

/** `veriterm provision`: interactive wizard or non-interactive from --answers and flags. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const args = parseCommandOrHelp(
    'provision',
    argv,
    {
      answers: { type: 'string' },
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      store: { type: 'string' },
      terminal: { type: 'string' },
      role: { type: 'string' },
      scanner: { type: 'string' },
      printer: { type: 'string' },
      broker: { type: 'string' },
      code: { type: 'string' },
      fingerprint: { type: 'string' },
      'http-port': { type: 'string' },
      locale: { type: 'string' },
      'system-root': { type: 'string' },
      install: { type: 'string' },
      'skip-test-scan': { type: 'boolean' },
      'skip-test-print': { type: 'boolean' },
      force: { type: 'boolean' },
      'broker-ca': { type: 'string' },
      'enrol-user': { type: 'string' },
      'enrol-password': { type: 'string' },
      'serial-dir': { type: 'string', multiple: true },
      'probe-printer': { type: 'string', multiple: true },
    },
    { usage: HELP, io, allowPositionals: false },
  );
  if (!args) return 0;
  const { values } = args;
  let input: Record<string, unknown> = {};
  if (values.answers) {
    try {
      input = JSON.parse(readFileSync(values.answers, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(
        `veriterm provision: cannot read answers file ${values.answers}: ${(error as Error).message}`,
      );
    }
  }
  const flags: Partial<Record<keyof AnswersInput, unknown>> = {
    configFile: values.config,
    dataDir: values['data-dir'],
    storeId: values.store,
    terminalId: values.terminal,
    role: values.role,
    scanner:
      values.scanner === undefined
        ? undefined
        : values.scanner === 'none'
          ? 'none'
          : { type: 'serial', path: values.scanner },
    printer:
      values.printer === undefined
        ? undefined
        : values.printer === 'none'
          ? 'none'
          : networkPrinter(values.printer),
    brokerUrl: values.broker,
    enrolmentCode: values.code,
    rootFingerprint: values.fingerprint,
    httpPort: values['http-port'] === undefined ? undefined : Number(values['http-port']),
    locale: values.locale,
    systemRoot: values['system-root'],
    install: values.install,
    skipTestScan: values['skip-test-scan'],
    skipTestPrint: values['skip-test-print'],
    force: values.force,
    brokerCaFile: values['broker-ca'],
    enrolUsername: values['enrol-user'],
    enrolPassword: values['enrol-password'],
  };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) input[k] = v;
  const parsed = answersSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(answers)'}: ${i.message}`);
    throw new UsageError(`veriterm provision: bad answers:\n${lines.join('\n')}`);
  }
  const tty = (io.stdin as NodeJS.ReadStream).isTTY === true;
  const ui = !values.answers && tty ? clackUi({ input: io.stdin, output: io.stdout }) : answersUi(io.stdout);
  try {
    const detect = {
      ...(values['serial-dir'] ? { serialDirs: ['/dev/serial/by-id', ...values['serial-dir']] } : {}),
      printerHosts: (values['probe-printer'] ?? []).map((a) => {
        const [host, port] = a.split(':');
        return { host: host!, port: port ? Number(port) : 9100 };
      }),
    };
    const result = await provision(parsed.data, { ui, detect });
    const failed = result.checks.filter((c) => c.level === 'fail');
    const { readiness } = result;
    if (!readiness.ready && readiness.cause !== 'not_checked') {
      io.stderr.write(
        `\nveriterm provision: provisioned, but NOT ready to verify [${readiness.cause}]: ${readiness.message}\n  -> ${readiness.remedy}\n`,
      );
      return 1;
    }
    if (failed.length > 0) {
      io.stderr.write(
        `veriterm provision: provisioned, but doctor found ${failed.length} problem(s); fix them and run veriterm doctor\n`,
      );
      return 1;
    }
    // "Ready" only for a terminal that published, got upstream's answer and holds a registry.
    io.stdout.write(
      readiness.ready
        ? `\nveriterm provision: terminal ready. Start it with: veriterm run --config ${result.configFile}\n`
        : `\nveriterm provision: provisioned; ${readiness.message}: ${readiness.remedy}. Start it with: veriterm run --config ${result.configFile}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof VeritermError && !(error instanceof UsageError)) {
      // Only a failure before the commit leaves nothing behind (config_not_written says what is left).
      const after = error.code === 'config_not_written';
      io.stderr.write(
        `\nveriterm provision: ${error.message} [${error.code}]\n${after ? '' : 'Nothing was written.\n'}`,
      );
      return 1;
    }
    throw error;
  }
}

function networkPrinter(address: string): Record<string, unknown> {
  const [host, port] = address.split(':');
  return { transport: 'network', host, port: port ? Number(port) : 9100 };
}
