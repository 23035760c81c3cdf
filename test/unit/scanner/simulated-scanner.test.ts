import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SimulatedScanner } from '../../../drivers/scanner/simulated-scanner.js';
import { StdinScanner } from '../../../drivers/scanner/stream-scanner.js';
import { collect, next, scannerContract, until } from './scanner-contract.js';

scannerContract(
  'SimulatedScanner',
  async () => {
    const source = new SimulatedScanner({ deviceId: 'sim:test' });
    return {
      source,
      read: async (data) => {
        source.inject(data);
      },
      unplug: async () => source.unplug(),
      replug: async () => source.replug(),
      cleanup: async () => {},
    };
  },
  { canUnplug: true },
);

scannerContract(
  'StdinScanner',
  async () => {
    const input = new PassThrough();
    const source = new StdinScanner({ deviceId: 'stdin:test' }, { input });
    return {
      source,
      read: async (data) => {
        input.write(`${data}\n`);
      },
      cleanup: async () => {
        input.end();
      },
    };
  },
  { canUnplug: false },
);

describe('SimulatedScanner', () => {
  it('passes the symbology through and debounces on a controlled clock', async () => {
    let clock = 1_000;
    const sim = new SimulatedScanner({ debounceMs: 1500 }, { now: () => clock });
    await sim.start();
    const scans = collect(sim);
    expect(sim.inject('0109506000134352', ']d2')).toBe(true);
    clock += 1000;
    expect(sim.inject('0109506000134352', ']d2')).toBe(false);
    clock += 1000; // window slides with each repeat: still the same held label
    expect(sim.inject('0109506000134352', ']d2')).toBe(false);
    clock += 1501;
    expect(sim.inject('0109506000134352', ']d2')).toBe(true);
    expect(scans).toEqual([
      { data: '0109506000134352', symbology: ']d2', deviceId: 'sim:scanner', receivedAt: 1_000 },
      { data: '0109506000134352', symbology: ']d2', deviceId: 'sim:scanner', receivedAt: 4_501 },
    ]);
  });

  it('ignores injections while stopped or unplugged', async () => {
    const sim = new SimulatedScanner({ debounceMs: 0 });
    expect(sim.inject('x')).toBe(false);
    await sim.start();
    sim.unplug();
    expect(sim.state).toBe('disconnected');
    expect(sim.inject('x')).toBe(false);
  });
});

describe('StdinScanner', () => {
  it('turns <GS> tokens into 0x1D, skips blank lines, strips CR and reports overlong lines', async () => {
    const input = new PassThrough();
    const source = new StdinScanner({ maxFrameLength: 40, debounceMs: 0 }, { input });
    await source.start();
    const scans = collect(source);
    const errors: string[] = [];
    source.on('error', (e) => errors.push(e.code));
    input.write('0109506000134352213A<GS>10L1\r\n\n   \n');
    input.write(`${'9'.repeat(41)}\nlast\n`);
    await until(() => scans.length >= 2, 'two scans');
    expect(scans.map((s) => s.data)).toEqual(['0109506000134352213A\x1d10L1', 'last']);
    expect(errors).toEqual(['overlong']);
    const gone = next(source, 'disconnected');
    input.end();
    await gone;
    await source.stop();
  });
});
