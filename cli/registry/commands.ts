import { UsageError } from '../../terminal/errors.js';
import type { CommandIo } from '../args.js';
import { parseCommandArgs } from '../args.js';
import { build, delta, inspect, synth, verify } from './author-commands.js';
import type { Subcommand } from './common.js';
import { keygen, rootInit, rootRotate } from './keys-commands.js';
import { importCommand, pin } from './terminal-commands.js';

const subcommands: Subcommand[] = [
  keygen,
  rootInit,
  rootRotate,
  build,
  delta,
  synth,
  inspect,
  verify,
  importCommand,
  pin,
];

function help(): string {
  const width = Math.max(...subcommands.map((s) => s.name.length));
  return [
    'Usage: veriterm registry <subcommand> [options]',
    '',
    'The signed code registry: keys, root of trust, building and installing releases.',
    '',
    ...subcommands.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    "Run 'veriterm registry <subcommand> --help' for its options. Format: docs/registry-format.md",
    '',
  ].join('\n');
}

/** `veriterm registry …`: dispatches to the subcommands beside this file. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(help());
    return first === undefined ? 2 : 0;
  }
  const twoWord = subcommands.find((s) => s.name === `${first} ${second}`);
  const sub = twoWord ?? subcommands.find((s) => s.name === first);
  if (!sub) {
    const hint = first === 'root' ? ' (root init | root rotate)' : '';
    throw new UsageError(
      `veriterm registry: unknown subcommand '${[first, first === 'root' ? second : undefined].filter(Boolean).join(' ')}'${hint}. Expected one of: ${subcommands.map((s) => s.name).join(', ')}`,
    );
  }
  const rest = argv.slice(twoWord ? 2 : 1);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${sub.usage}\n`);
    return 0;
  }
  const { values, positionals } = parseCommandArgs(`registry ${sub.name}`, rest, sub.options, {
    allowPositionals: sub.positionals ?? false,
  });
  return sub.run(values as Record<string, unknown>, positionals, io);
}
