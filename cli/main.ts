import type { CommandIo } from './args.js';
import { commands } from './commands.js';
import { runCli } from './dispatch.js';

/**
 * Entry point of the `veriterm` command (bin/veriterm.js): cli/dispatch.ts's argument handling over
 * the command table that wires in terminal/, provisioning/ and upstream/. Resolves to the exit
 * code (2 = usage error).
 */
export function main(
  argv: string[],
  io: CommandIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
): Promise<number> {
  return runCli(commands, argv, io);
}
