import { UsageError } from '../../terminal/errors.js';
import { type CommandIo, type CommandModule, parseCommandArgs } from '../args.js';

export type Opts = Parameters<typeof parseCommandArgs>[2];

/** One `veriterm registry <sub>` command: usage text, flags and handler (its summary is in ./commands.ts). */
export interface Subcommand {
  name: string;
  usage: string;
  options: Opts;
  positionals?: boolean;
  run(values: Record<string, unknown>, positionals: string[], io: CommandIo): Promise<number>;
}

const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  y: 365 * 86_400_000,
};

/** `--expires`: an ISO time, or a duration from now (`90d`, `12h`, `1y`). */
export function parseExpires(value: unknown, fallback: string, flag = '--expires', now = Date.now()): string {
  const text = typeof value === 'string' ? value : fallback;
  const duration = /^(\d+)([smhdy])$/.exec(text);
  if (duration) return new Date(now + Number(duration[1]) * UNITS[duration[2]!]!).toISOString();
  if (/^\d{4}-\d\d-\d\d/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text).toISOString();
  throw new UsageError(
    `${flag}: expected an ISO time or a duration like 90d / 12h / 1y, got ${JSON.stringify(text)}`,
  );
}

export function requireString(values: Record<string, unknown>, name: string, command: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '')
    throw new UsageError(`veriterm registry ${command}: --${name} is required`);
  return v;
}

export function list(values: Record<string, unknown>, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
}

export function positiveInt(value: unknown, flag: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function print(io: CommandIo, text: string): void {
  io.stdout.write(`${text}\n`);
}

/** A registry subcommand as a command: `--help` anywhere prints its usage, else its flags are parsed. */
export function registryCommand(sub: Subcommand): CommandModule {
  return {
    async run(argv, io) {
      if (argv.includes('--help') || argv.includes('-h')) {
        io.stdout.write(`${sub.usage}\n`);
        return 0;
      }
      const { values, positionals } = parseCommandArgs(`registry ${sub.name}`, argv, sub.options, {
        allowPositionals: sub.positionals ?? false,
      });
      return sub.run(values as Record<string, unknown>, positionals, io);
    },
  };
}
