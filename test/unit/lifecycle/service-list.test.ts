import { describe, expect, it } from 'vitest';
import { ServiceList } from '../../../terminal/lifecycle.js';

/** A list whose parts record their starts and stops in `log`, and whose logger records errors. */
function recorded() {
  const log: string[] = [];
  const errors: { service: unknown; message: string }[] = [];
  const list = new ServiceList({
    error: (details, message) => {
      errors.push({ service: details.service, message: `${message} (${(details.err as Error).message})` });
    },
  });
  const part = (name: string, fail?: 'start' | 'stop') =>
    list.add(
      name,
      async () => {
        log.push(`start ${name}`);
        if (fail === 'start') throw new Error(`${name} cannot start`);
      },
      async () => {
        log.push(`stop ${name}`);
        if (fail === 'stop') throw new Error(`${name} cannot stop`);
      },
    );
  return { list, log, errors, part };
}

describe('ServiceList', () => {
  it('starts in the order added and stops in reverse, parts added later included', async () => {
    const { list, log, part } = recorded();
    part('db');
    part('http');
    await list.start();
    part('sync');
    await list.start();
    expect(list.running).toEqual(['db', 'http', 'sync']);
    await list.stop();
    expect(log).toEqual(['start db', 'start http', 'start sync', 'stop sync', 'stop http', 'stop db']);
    expect(list.running).toEqual([]);
  });

  it('counts a part added without start as running, and stops it', async () => {
    const { list, log, part } = recorded();
    list.add('open database', undefined, () => {
      log.push('close database');
    });
    part('http');
    expect(list.running).toEqual(['open database']);
    await list.stop();
    // http never started, so it is not stopped.
    expect(log).toEqual(['close database']);
  });

  it('on a failed start (a port in use) stops exactly the parts that started, in reverse, and rethrows', async () => {
    const { list, log, part } = recorded();
    part('db');
    part('maintenance');
    part('listen', 'start');
    part('devices');
    await expect(list.start()).rejects.toThrow('listen cannot start');
    expect(log).toEqual(['start db', 'start maintenance', 'start listen', 'stop maintenance', 'stop db']);
    expect(list.running).toEqual([]);
    // The list is spent: a later stop does nothing twice, and nothing can be added.
    await list.stop();
    expect(log).toHaveLength(5);
    expect(() => part('late')).toThrow("cannot add 'late' after stop()");
  });

  it('a stop that fails is logged with its name and the others are still stopped', async () => {
    const { list, log, errors, part } = recorded();
    part('db');
    part('printer', 'stop');
    part('sync');
    await list.start();
    await list.stop();
    expect(log.slice(3)).toEqual(['stop sync', 'stop printer', 'stop db']);
    expect(errors).toEqual([
      { service: 'printer', message: 'stopping printer failed (printer cannot stop)' },
    ]);
  });

  it('stops once when stop() is called twice at the same time', async () => {
    const { list, log, part } = recorded();
    part('db');
    await list.start();
    await Promise.all([list.stop(), list.stop()]);
    expect(log).toEqual(['start db', 'stop db']);
  });
});
