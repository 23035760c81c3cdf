import { UsageError, VeritermError } from '../terminal/errors.js';
import { type CommandEntry, type CommandGroup, type CommandIo, parseCommandArgs } from './args.js';

const isHelp = (arg: string) => arg === '--help' || arg === '-h' || arg === 'help';

/** `'a', 'b' or 'c'`: the names a usage error offers. */
function choices(names: readonly string[]): string {
  const quoted = names.map((n) => `'${n}'`);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

/** The lines of a table's help: a group marked expandInHelp lists its commands (`root init`). */
function helpLines(commands: readonly CommandEntry[]): [string, string][] {
  return commands.flatMap((c): [string, string][] =>
    'commands' in c && c.expandInHelp
      ? helpLines(c.commands).map(([name, summary]) => [`${c.name} ${name}`, summary])
      : [[c.name, c.summary]],
  );
}

/** `veriterm [path…] --help`: the table at that level. */
function helpText(path: readonly string[], group: Pick<CommandGroup, 'commands' | 'description'>): string {
  const prefix = ['veriterm', ...path].join(' ');
  const lines = helpLines(group.commands);
  const width = Math.max(...lines.map(([name]) => name.length), 4);
  return [
    `Usage: ${prefix} <command> [options]`,
    '',
    ...(group.description ? [group.description, ''] : []),
    'Commands:',
    ...lines.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`),
    '',
    `Run '${prefix} <command> --help' for a command's options.`,
    '',
  ].join('\n');
}

/**
 * Walks the nested tables down `argv` to one command and runs it with the arguments after its
 * name. A group with no argument prints its table (exit 2), with `--help` too (exit 0).
 */
async function dispatch(
  path: readonly string[],
  group: Pick<CommandGroup, 'commands' | 'description' | 'default'>,
  argv: string[],
  io: CommandIo,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || isHelp(name)) {
    io.stdout.write(helpText(path, group));
    return name === undefined ? 2 : 0;
  }
  const named = group.commands.find((c) => c.name === name);
  const entry =
    named ?? (name.startsWith('-') ? group.commands.find((c) => c.name === group.default) : undefined);
  if (!entry) {
    const where = ['veriterm', ...path].join(' ');
    throw new UsageError(
      `${where}: unknown ${path.length === 0 ? 'command' : 'subcommand'} '${name}'. Expected one of: ${choices(group.commands.map((c) => c.name))}`,
    );
  }
  const args = named ? rest : argv;
  if ('commands' in entry) return dispatch([...path, entry.name], entry, args, io);
  const command = await entry.load();
  return command.run(args, io);
}

/** The package's version, from sources (cli/) and from the build (dist/cli/) alike. */
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
 * Runs `veriterm` over the command table (cli/commands.ts) and the groups nested in it: help at
 * every level, --version, unknown commands, usage errors (exit 2) and VeritermErrors (exit 1).
 * Resolves to the exit code.
 */
export async function runCli(
  commands: readonly CommandEntry[],
  argv: string[],
  io: CommandIo,
): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === '--version' || name === '-v') {
      parseCommandArgs('--version', rest, {}, { allowPositionals: false });
      io.stdout.write(`${await packageVersion()}\n`);
      return 0;
    }
    return await dispatch([], { commands }, argv, io);
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
