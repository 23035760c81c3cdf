import { afterEach, describe, expect, it } from 'vitest';
import { createSystemdNotifier } from '../../../terminal/systemd/notify.js';
import { type FakeNotifyManager, startFakeNotifyManager } from '../../helpers/notify-manager.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/**
 * A real AF_UNIX datagram socket stands in for PID 1's notify socket (test/fakes/notify-manager.py:
 * socat cannot play it, as it never closes the barrier pipe systemd closes). PID 1 attributes a
 * message by its sender's pid, looked up when it reads the datagram: these tests hold the manager
 * at the barrier and show the sender is still there, waiting, which --no-block does not do.
 */
describe.skipIf(!hasSystemTool('systemd-notify') || !hasSystemTool('python3'))(
  'sd_notify over NOTIFY_SOCKET, race-free',
  () => {
    const cleanups: (() => void)[] = [];
    afterEach(() => {
      for (const c of cleanups.splice(0)) c();
    });

    async function manager(hold: boolean): Promise<FakeNotifyManager> {
      const tmp = makeTempDir();
      cleanups.push(tmp.cleanup);
      const m = await startFakeNotifyManager(tmp.dir, { hold });
      cleanups.push(() => m.stop());
      return m;
    }

    it('READY=1 and STATUS arrive as one datagram; ready() resolves only once the manager has processed it', async () => {
      const m = await manager(true);
      const notifier = createSystemdNotifier({ env: { ...process.env, NOTIFY_SOCKET: m.socket } })!;
      let settled = false;
      const ready = notifier.ready('veriterm serving').then(() => {
        settled = true;
      });
      const message = await m.next((x) => x.text.includes('READY=1'));
      expect(message.text).toBe('READY=1\nSTATUS=veriterm serving');
      expect(message.alive).toBe(true);
      // The barrier follows from systemd-notify itself, a child of this process, which waits.
      const barrier = await m.next((x) => x.text === 'BARRIER=1');
      expect(barrier.fds).toBe(1);
      expect(barrier.ppid).toBe(process.pid);
      expect(() => process.kill(barrier.pid!, 0)).not.toThrow();
      expect(settled).toBe(false);
      m.release();
      await ready;
      expect(settled).toBe(true);
    });

    it('watchdog pings follow READY at half of WATCHDOG_USEC, each with its barrier; STOPPING=1 ends them', async () => {
      const m = await manager(false);
      const notifier = createSystemdNotifier({
        env: {
          ...process.env,
          NOTIFY_SOCKET: m.socket,
          WATCHDOG_USEC: '200000',
          WATCHDOG_PID: String(process.pid),
        },
      })!;
      await notifier.ready();
      const ping = await m.next((x) => x.text === 'WATCHDOG=1');
      expect(ping.alive).toBe(true);
      const barrier = await m.next((x) => x.text === 'BARRIER=1');
      expect(barrier.fds).toBe(1);
      await notifier.stopping();
      await m.next((x) => x.text === 'STOPPING=1');
      await m.next((x) => x.text === 'BARRIER=1');
    });
  },
);
