import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A fake serial scanner: a socat PTY pair plus a stable symlink we control, standing in for
 * /dev/serial/by-id/usb-…-if00. The driver opens `stablePath`; the test writes the scanner's
 * bytes into the other end. `unplug()` kills socat and removes the link, as udev does on a real
 * unplug; `replug()` starts a new socat (new /dev/pts/N) and re-points the same stable path.
 */
export class PtyScanner {
  readonly stablePath: string;
  #socat: ChildProcess | undefined;
  #hostFd: number | undefined;

  private constructor(readonly dir: string) {
    mkdirSync(join(dir, 'by-id'), { recursive: true });
    this.stablePath = join(dir, 'by-id', 'usb-Veriterm_Fake_Scanner_0001-if00');
  }

  static async create(dir: string): Promise<PtyScanner> {
    const pty = new PtyScanner(dir);
    await pty.replug();
    return pty;
  }

  /** Starts socat and points the stable link at the scanner side of the new PTY pair. */
  async replug(): Promise<void> {
    const socat = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#socat = socat;
    const ptys = await new Promise<string[]>((resolve, reject) => {
      let text = '';
      const found: string[] = [];
      socat.stderr!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        for (const match of text.matchAll(/PTY is (\/dev\/pts\/\d+)/g)) {
          if (!found.includes(match[1]!)) found.push(match[1]!);
        }
        if (found.length === 2 && text.includes('starting data transfer loop')) resolve(found);
      });
      socat.once('exit', (code) => reject(new Error(`socat exited with ${code}: ${text}`)));
    });
    const [device, host] = ptys as [string, string];
    rmSync(this.stablePath, { force: true });
    symlinkSync(device, this.stablePath);
    this.#hostFd = openSync(host, 'r+');
  }

  /** Writes bytes as the scanner would send them. */
  write(bytes: string | Buffer): void {
    if (this.#hostFd === undefined) throw new Error('scanner is unplugged');
    const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    writeSync(this.#hostFd, buf);
  }

  /** Pulls the cable: socat dies, the stable link goes away. */
  async unplug(): Promise<void> {
    rmSync(this.stablePath, { force: true });
    if (this.#hostFd !== undefined) closeSync(this.#hostFd);
    this.#hostFd = undefined;
    const socat = this.#socat;
    this.#socat = undefined;
    if (socat && socat.exitCode === null) {
      const exited = once(socat, 'exit');
      socat.kill('SIGTERM');
      await exited;
    }
  }

  async dispose(): Promise<void> {
    await this.unplug();
  }
}
