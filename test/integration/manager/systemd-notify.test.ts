import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSystemdNotifier } from '../../../terminal/systemd/notify.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A real AF_UNIX datagram socket (socat UNIX-RECV) stands in for systemd's notify socket. */
describe.skipIf(!hasSystemTool('socat') || !hasSystemTool('systemd-notify'))(
  'sd_notify over NOTIFY_SOCKET',
  () => {
    const cleanups: (() => void)[] = [];
    afterEach(() => {
      for (const c of cleanups.splice(0)) c();
    });

    it('delivers READY=1 and STATUS as one datagram', async () => {
      const tmp = makeTempDir();
      cleanups.push(tmp.cleanup);
      const socket = join(tmp.dir, 'notify');
      const receiver: ChildProcess = spawn('socat', ['-u', `UNIX-RECV:${socket}`, '-']);
      cleanups.push(() => receiver.kill());
      let received = '';
      const got = new Promise<void>((resolve) => {
        receiver.stdout!.on('data', (d: Buffer) => {
          received += d.toString();
          if (received.includes('READY=1')) resolve();
        });
      });
      const deadline = Date.now() + 5000;
      while (!existsSync(socket)) {
        if (Date.now() > deadline) throw new Error('socat did not create the socket');
        await new Promise((r) => setTimeout(r, 20));
      }
      const notifier = createSystemdNotifier({ env: { ...process.env, NOTIFY_SOCKET: socket } })!;
      await notifier.ready('veriterm serving');
      await got;
      expect(received).toContain('READY=1\nSTATUS=veriterm serving');
    });
  },
);
