import { describe, expect, it, vi } from 'vitest';
import { createSystemdNotifier } from '../../../terminal/systemd/notify.js';

describe('systemd notifier', () => {
  it('does nothing without NOTIFY_SOCKET', () => {
    expect(createSystemdNotifier({ env: {} })).toBeUndefined();
  });

  it('sends READY, STATUS, STOPPING and watchdog pings at half WATCHDOG_USEC while alive', async () => {
    vi.useFakeTimers();
    try {
      const sent: string[][] = [];
      let alive = true;
      const notifier = createSystemdNotifier({
        env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '2000000' },
        send: async (a) => {
          sent.push(a);
        },
        alive: () => alive,
      })!;
      await notifier.ready('serving');
      expect(sent).toEqual([['READY=1', 'STATUS=serving']]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(sent.at(-1)).toEqual(['WATCHDOG=1']);
      alive = false;
      const before = sent.length;
      await vi.advanceTimersByTimeAsync(3000);
      expect(sent.length).toBe(before);
      await notifier.stopping();
      expect(sent.at(-1)).toEqual(['STOPPING=1']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends no watchdog pings meant for another process', async () => {
    vi.useFakeTimers();
    try {
      const sent: string[][] = [];
      const notifier = createSystemdNotifier({
        env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid + 1) },
        send: async (a) => {
          sent.push(a);
        },
      })!;
      await notifier.ready();
      await vi.advanceTimersByTimeAsync(5000);
      expect(sent).toEqual([['READY=1']]);
    } finally {
      vi.useRealTimers();
    }
  });
});
