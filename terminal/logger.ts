import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Creates the process's root logger. There is no global logger: the composition root makes one
 * and hands `logger.child({ module })` to each service through its deps.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.VERITERM_LOG_LEVEL ?? 'info';
  return options.destination ? pino({ level }, options.destination) : pino({ level });
}

/** A logger that writes nothing, for tests and CLI commands that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
