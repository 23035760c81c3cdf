import type { CommandIo } from './args.js';
import { commands } from './commands.js';
import { runCli } from './dispatch.js';

/**
 * Entry point of the `veriterm` command (bin/veriterm.js): the one dispatcher (./dispatch.ts) over
 * the command table (./commands.ts). Resolves to the exit code (2 = usage error).
 */
export function main(
  argv: string[],
  io: CommandIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
): Promise<number> {
  return runCli(commands, argv, io);
}
