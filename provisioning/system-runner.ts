import { spawn } from 'node:child_process';

/** Runs a system command (systemctl, udevadm) and says how it went; never throws. */
export type SystemRunner = (argv: string[]) => Promise<{ code: number; output: string }>;

/** The real runner: exit code and stdout+stderr (a missing tool is code 127 with ENOENT). */
export const systemRunner: SystemRunner = (argv) =>
  new Promise((resolve) => {
    const [bin, ...args] = argv;
    let output = '';
    const child = spawn(bin!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ code: 127, output: `${bin}: ${error.code ?? error.message}` }),
    );
    child.once('close', (code) => resolve({ code: code ?? 1, output: output.slice(-2000) }));
  });
