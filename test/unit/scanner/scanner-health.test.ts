import { describe, expect, it } from 'vitest';
import { SimulatedScanner, watchScannerHealth } from '../../../drivers/scanner/index.js';

describe('watchScannerHealth', () => {
  it('reports connected, unplugged (fail with time) and back again under scanner:<deviceId>', async () => {
    const reports: [string, string, string][] = [];
    const sink = {
      report: (c: string, i: { level: string; reason: string }) => reports.push([c, i.level, i.reason]),
    };
    const sim = new SimulatedScanner({ deviceId: 'sim:lane1' });
    const stop = watchScannerHealth(sim, sink, () => Date.UTC(2026, 0, 1, 10, 42));
    await sim.start();
    sim.unplug();
    sim.replug();
    stop();
    sim.unplug();
    expect(reports).toEqual([
      ['scanner:sim:lane1', 'warn', 'Waiting for the scanner to be plugged in'],
      ['scanner:sim:lane1', 'ok', 'Scanner connected'],
      [
        'scanner:sim:lane1',
        'fail',
        'Scanner unplugged at 10:42 UTC; reconnects by itself when plugged back in',
      ],
      ['scanner:sim:lane1', 'ok', 'Scanner connected'],
    ]);
  });
});
