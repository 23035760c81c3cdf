interface Entry {
  name: string;
  start: (() => unknown) | undefined;
  stop: () => unknown;
  started: boolean;
}

/**
 * The parts a composition root starts and stops, as one list: started in the order added, stopped
 * in reverse. A start that fails stops what had started (in reverse) and rethrows, so a failed
 * start (a port in use) and a normal stop run the same teardown. A stop that fails is logged and
 * the others are still stopped: one stuck device must not leave the databases open.
 */
export class ServiceList {
  readonly #entries: Entry[] = [];
  #stopping: Promise<void> | undefined;

  /** `logger`: where a failed stop is reported (a pino Logger fits). */
  constructor(
    private readonly logger: { error(details: { err: unknown; service: string }, message: string): void },
  ) {}

  /**
   * Adds a part. `start` runs at the next `start()`, after the parts added before it. Without
   * `start` the part runs from now on (a database already open) and is stopped like the others.
   */
  add(name: string, start: (() => unknown) | undefined, stop: () => unknown): this {
    if (this.#stopping) throw new Error(`service list: cannot add '${name}' after stop()`);
    this.#entries.push({ name, start, stop, started: start === undefined });
    return this;
  }

  /** Starts every part not started yet, in order; on a failure stops those started and rethrows. */
  async start(): Promise<void> {
    for (const entry of this.#entries) {
      if (entry.started) continue;
      try {
        await entry.start?.();
      } catch (error) {
        await this.stop();
        throw error;
      }
      entry.started = true;
    }
  }

  /** Stops the started parts in reverse order, each once; resolves when all were tried. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  /** Names of the parts running now, in start order (for tests and logs). */
  get running(): string[] {
    return this.#entries.filter((e) => e.started).map((e) => e.name);
  }

  async #stopAll(): Promise<void> {
    for (const entry of [...this.#entries].reverse()) {
      if (!entry.started) continue;
      entry.started = false;
      try {
        await entry.stop();
      } catch (error) {
        this.logger.error({ err: error, service: entry.name }, `stopping ${entry.name} failed`);
      }
    }
  }
}
