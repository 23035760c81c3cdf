import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scan, ScannerSource } from '../../../drivers/scanner/types.js';

/** What one implementation gives the contract suite. */
export interface ContractHarness {
  source: ScannerSource;
  /** One physical read of `data` (the harness adds suffix/AIM framing its transport needs). */
  read(data: string): Promise<void>;
  /** Pull the device (kill socat, unplug the fake). Omit when the transport cannot be unplugged. */
  unplug?(): Promise<void>;
  /** Bring the device back at the same stable id. */
  replug?(): Promise<void>;
  cleanup(): Promise<void>;
}

const GS = '\x1d';
/** A GS1 element string with a variable-length serial ended by GS (DOMAIN.md). */
export const GS1_CODE = `0109506000134352${'21'}ABC123${GS}10LOT7${GS}17261231`;
export const SUPERVISION_CODE = '81234567890123456789';

const TIMEOUT_MS = 5000;

/** Resolves with the next `event` or rejects after a timeout naming what was awaited. */
export async function next<K extends 'scan' | 'connected' | 'disconnected' | 'error'>(
  source: ScannerSource,
  event: K,
  timeoutMs = TIMEOUT_MS,
) {
  try {
    const [payload] = await once(source, event, { signal: AbortSignal.timeout(timeoutMs) });
    return payload;
  } catch (error) {
    throw new Error(`no '${event}' from ${source.deviceId} within ${timeoutMs} ms`, { cause: error });
  }
}

/** Collects every scan the source emits. */
export function collect(source: ScannerSource): Scan[] {
  const scans: Scan[] = [];
  source.on('scan', (scan) => scans.push(scan));
  return scans;
}

/** Waits until `predicate` holds, polling on the event loop (no fixed sleeps). */
export async function until(predicate: () => boolean, what: string, timeoutMs = TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The behaviour every ScannerSource promises (drivers/scanner/types.ts): one scan per read with
 * suffix removed and GS kept, debounced repeats, idempotent start/stop, silence after stop,
 * and (when the transport can be unplugged) disconnect + automatic reconnect.
 */
export function scannerContract(
  name: string,
  make: () => Promise<ContractHarness>,
  { canUnplug }: { canUnplug: boolean },
): void {
  describe(`ScannerSource contract: ${name}`, () => {
    let harness: ContractHarness | undefined;

    async function started(): Promise<ContractHarness> {
      harness = await make();
      expect(harness.source.state).toBe('stopped');
      const connected = next(harness.source, 'connected');
      await harness.source.start();
      await harness.source.start();
      if (harness.source.state !== 'connected') await connected;
      else connected.catch(() => {});
      expect(harness.source.state).toBe('connected');
      return harness;
    }

    afterEach(async () => {
      await harness?.source.stop();
      await harness?.cleanup();
      harness = undefined;
    });

    it('emits one scan per read with the device id and arrival time', async () => {
      const h = await started();
      const before = Date.now();
      const scan = next(h.source, 'scan');
      await h.read(SUPERVISION_CODE);
      const got = (await scan) as Scan;
      expect(got.data).toBe(SUPERVISION_CODE);
      expect(got.deviceId).toBe(h.source.deviceId);
      expect(got.receivedAt).toBeGreaterThanOrEqual(before - 60_000);
    });

    it('keeps GS (0x1D) inside a GS1 element string', async () => {
      const h = await started();
      const scan = next(h.source, 'scan');
      await h.read(GS1_CODE);
      expect(((await scan) as Scan).data).toBe(GS1_CODE);
    });

    it('turns a double read into one scan and keeps distinct reads in order', async () => {
      const h = await started();
      const scans = collect(h.source);
      await h.read(SUPERVISION_CODE);
      await h.read(SUPERVISION_CODE);
      await h.read(GS1_CODE);
      await until(() => scans.some((s) => s.data === GS1_CODE), 'the second code');
      expect(scans.map((s) => s.data)).toEqual([SUPERVISION_CODE, GS1_CODE]);
    });

    it('is silent after stop() and stop() is idempotent', async () => {
      const h = await started();
      const scans = collect(h.source);
      await h.source.stop();
      await h.source.stop();
      expect(h.source.state).toBe('stopped');
      await h.read(SUPERVISION_CODE).catch(() => {});
      expect(scans).toEqual([]);
    });

    // Only transports that can be unplugged get this case (stdin cannot come back once ended).
    if (!canUnplug) return;
    it('starts without the device (not an error) and connects when it appears', async () => {
      harness = await make();
      const h = harness;
      if (!h.unplug || !h.replug)
        throw new Error(`${name}: harness claims canUnplug but has no unplug/replug`);
      await h.unplug();
      await h.source.start();
      expect(h.source.state).not.toBe('connected');
      const connected = next(h.source, 'connected', 15_000);
      await h.replug();
      await connected;
      const scan = next(h.source, 'scan');
      await h.read(SUPERVISION_CODE);
      expect(((await scan) as Scan).data).toBe(SUPERVISION_CODE);
    });

    it('reports disconnected on unplug and resumes scanning after replug', async () => {
      const h = await started();
      if (!h.unplug || !h.replug)
        throw new Error(`${name}: harness claims canUnplug but has no unplug/replug`);
      const gone = next(h.source, 'disconnected');
      await h.unplug();
      const info = (await gone) as { deviceId: string; reason: string };
      expect(info.deviceId).toBe(h.source.deviceId);
      expect(h.source.state).toBe('disconnected');
      const back = next(h.source, 'connected', 15_000);
      await h.replug();
      await back;
      const scan = next(h.source, 'scan');
      await h.read(GS1_CODE);
      expect(((await scan) as Scan).data).toBe(GS1_CODE);
    });
  });
}
