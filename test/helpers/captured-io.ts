import { PassThrough } from 'node:stream';
import type { CommandIo } from '../../cli/args.js';

/** A command's io with its stdout and stderr kept as text (stdin empty). */
export function capturedIo(): { io: CommandIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return { io: { stdout, stderr, stdin: new PassThrough() }, out: () => out, err: () => err };
}

/** Runs a command (a module's `run`) with captured output. */
export async function runCaptured(
  run: (argv: string[], io: CommandIo) => Promise<number>,
  argv: string[],
): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = capturedIo();
  const code = await run(argv, io);
  return { code, out: out(), err: err() };
}

/** Runs a command with stdout and stderr into one text, in the order written. */
export async function runMerged(
  run: (argv: string[], io: CommandIo) => Promise<number>,
  argv: string[],
): Promise<{ code: number; text: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const code = await run(argv, { stdout: out, stderr: out, stdin: new PassThrough() });
  return { code, text };
}
