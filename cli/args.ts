import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../terminal/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `node:util` parseArgs in strict mode, with its errors turned into UsageError (exit 2)
 * that names the command, the offending flag and what was expected.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  { allowPositionals = true }: { allowPositionals?: boolean } = {},
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    const known = Object.keys(options)
      .map((name) => `--${name}`)
      .join(', ');
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`veriterm ${command}: ${reason}. Known flags: ${known || '(none)'}`);
  }
}

/** The `-h`/`--help` flag every command takes. */
const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * `parseCommandArgs` with `-h`/`--help` added to `options`: prints `usage` and returns undefined
 * when help was asked for (the command then exits 0), else the parsed arguments.
 */
export function parseCommandOrHelp<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  {
    usage,
    io,
    allowPositionals = true,
  }: { usage: string; io: Pick<CommandIo, 'stdout'>; allowPositionals?: boolean },
) {
  const parsed = parseCommandArgs(command, argv, { ...options, ...HELP_OPTION }, { allowPositionals });
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout.write(usage);
    return undefined;
  }
  return parsed;
}

/** Output streams a command writes to; tests pass their own. */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

/** One `veriterm <name>` subcommand. Resolves to the process exit code. */
export interface CommandModule {
  run(argv: string[], io: CommandIo): Promise<number>;
}

interface CommandLine {
  name: string;
  /** One line for the parent table's `--help`. */
  summary: string;
}

/** A command: loaded lazily so that `veriterm parse` does not pay for other commands' imports. */
export interface CommandLeaf extends CommandLine {
  load: () => Promise<CommandModule>;
}

/**
 * A group of subcommands (`veriterm registry …`): a nested table run by the same dispatcher
 * (cli/dispatch.ts), which prints the group's own table for `veriterm <group> --help`.
 */
export interface CommandGroup extends CommandLine {
  commands: readonly CommandEntry[];
  /** What the group is for, printed under its usage line. */
  description?: string;
  /** The subcommand run when the first argument is a flag: `upstream --broker …` is `upstream run --broker …`. */
  default?: string;
  /** The parent's help lists this group's commands (`root init`, `root rotate`) instead of one line. */
  expandInHelp?: boolean;
}

/** One line of a command table: `veriterm … <name>`, a command or a group of them. */
export type CommandEntry = CommandLeaf | CommandGroup;
