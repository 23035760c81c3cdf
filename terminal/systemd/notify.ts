import { execFile } from 'node:child_process';

/** Sends one sd_notify message (newline-separated `KEY=VALUE` lines). */
export type NotifySender = (assignments: string[]) => Promise<void>;

export interface SystemdNotifier {
  /** `READY=1` (Type=notify units count the start as done) and starts watchdog pings. */
  ready(status?: string): Promise<void>;
  /** `STATUS=…`: the one line `systemctl status` shows. */
  status(text: string): Promise<void>;
  /** `STOPPING=1` and stops the watchdog pings. */
  stopping(): Promise<void>;
}

/**
 * Node has no AF_UNIX datagram sockets (dgram is UDP only), so the message goes out through
 * `systemd-notify`, a child process: the unit needs `NotifyAccess=all`. PID 1 attributes a
 * datagram to a unit by the sender's pid (SCM_CREDENTIALS → /proc/<pid>/cgroup), so a sender that
 * has already exited when PID 1 reads the message is ignored ("Cannot find unit for notify
 * message"): the race systemd-notify(1) warns of for --no-block. Without --no-block,
 * systemd-notify follows the message with BARRIER=1 and a pipe (sd_notify_barrier(3), systemd ≥
 * 246; Debian 12 has 252) and exits only when PID 1 has closed it, i.e. after PID 1 processed the
 * message while the sender was still alive. The barrier times out after 5 s.
 */
export const systemdNotifySender =
  (env: NodeJS.ProcessEnv = process.env, binary = 'systemd-notify'): NotifySender =>
  (assignments) =>
    new Promise((resolve, reject) => {
      execFile(binary, assignments, { env, timeout: 10_000 }, (error) => (error ? reject(error) : resolve()));
    });

/**
 * sd_notify for a terminal run by systemd: only when $NOTIFY_SOCKET is set (otherwise undefined and
 * nothing is sent). With $WATCHDOG_USEC (and $WATCHDOG_PID unset or ours) it sends `WATCHDOG=1` at
 * half the interval, as sd_watchdog_enabled(3) advises, while `alive()` holds: a terminal whose
 * event loop is stuck, or that says it cannot work, stops pinging and systemd restarts it.
 */
export function createSystemdNotifier(
  options: {
    env?: NodeJS.ProcessEnv;
    send?: NotifySender;
    /** Checked before each watchdog ping. @default always alive */
    alive?: () => boolean;
    onError?: (error: unknown) => void;
  } = {},
): SystemdNotifier | undefined {
  const env = options.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return undefined;
  const send = options.send ?? systemdNotifySender(env);
  const onError = options.onError ?? (() => undefined);
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const intervalMs = Number.isFinite(usec) && usec > 0 && forUs ? Math.max(50, usec / 2000) : undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    async ready(status) {
      await send(['READY=1', ...(status ? [`STATUS=${status}`] : [])]);
      if (intervalMs !== undefined && !timer) {
        timer = setInterval(() => {
          if (options.alive && !options.alive()) return;
          send(['WATCHDOG=1']).catch(onError);
        }, intervalMs);
        timer.unref();
      }
    },
    status: (text) => send([`STATUS=${text}`]),
    async stopping() {
      clearInterval(timer);
      timer = undefined;
      await send(['STOPPING=1']);
    },
  };
}
