import { UsageError, VeritermError } from '../terminal/errors.js';
import { type CommandEntry, type CommandIo, parseCommandArgs } from './args.js';

function helpText(commands: readonly CommandEntry[]): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: veriterm <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    "Run 'veriterm <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/** The package's version, from sources (terminal/) and from the build (dist/terminal/) alike. */
async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'veriterm' && pkg.version) return pkg.version;
    } catch {
      // not at this level: try the next one up
    }
  }
  return 'unknown';
}

/**
 * Runs `veriterm` over a command table: help, --version, unknown commands, usage errors (exit 2)
 * and VeritermErrors (exit 1). The table is given by the caller: cli/main.ts composes it from
 * terminal/, provisioning/ and upstream/, which terminal/ itself never imports.
 * Resolves to the exit code.
 */
export async function runCli(
  commands: readonly CommandEntry[],
  argv: string[],
  io: CommandIo,
): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(helpText(commands));
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-v') {
      parseCommandArgs('--version', rest, {}, { allowPositionals: false });
      io.stdout.write(`${await packageVersion()}\n`);
      return 0;
    }
    const entry = commands.find((c) => c.name === name);
    if (!entry) {
      const known = commands.map((c) => c.name).join(', ');
      throw new UsageError(`veriterm: unknown command '${name}'. Expected one of: ${known}`);
    }
    const command = await entry.load();
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (error instanceof VeritermError) {
      io.stderr.write(`veriterm ${name}: ${error.message} [${error.code}]\n`);
      return 1;
    }
    throw error;
  }
}
