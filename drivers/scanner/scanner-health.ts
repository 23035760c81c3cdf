import type { ScannerSource } from './types.js';

/** Structurally terminal/health's HealthReporter (drivers/ may not import terminal/). */
export interface ScannerHealthSink {
  report(
    component: string,
    item: { level: 'ok' | 'warn' | 'fail'; reason: string; details?: Record<string, unknown> },
  ): void;
}

/**
 * Feeds a source's connection state to the health model under `scanner:<deviceId>`: ok when
 * connected, fail with the unplug time and reason when gone, warn while a device never seen yet
 * is awaited, warn briefly after frames had to be dropped. Returns the function that stops it.
 */
export function watchScannerHealth(
  source: ScannerSource,
  sink: ScannerHealthSink,
  now: () => number = Date.now,
): () => void {
  const component = `scanner:${source.deviceId}`;
  const time = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  let connected = source.state === 'connected';
  if (connected) sink.report(component, { level: 'ok', reason: 'Scanner connected' });
  else sink.report(component, { level: 'warn', reason: 'Waiting for the scanner to be plugged in' });

  const onConnected = () => {
    connected = true;
    sink.report(component, { level: 'ok', reason: 'Scanner connected' });
  };
  const onDisconnected = ({ reason }: { reason: string }) => {
    connected = false;
    sink.report(component, {
      level: 'fail',
      reason: `Scanner unplugged at ${time(now())} UTC; reconnects by itself when plugged back in`,
      details: { reason, since: now() },
    });
  };
  const onError = ({ code, message }: { code: string; message: string }) => {
    if (!connected) return;
    sink.report(component, {
      level: 'warn',
      reason: `Last read dropped (${code})`,
      details: { code, message },
    });
  };
  const onScan = () => {
    if (connected) sink.report(component, { level: 'ok', reason: 'Scanner connected' });
  };
  source.on('connected', onConnected);
  source.on('disconnected', onDisconnected);
  source.on('error', onError);
  source.on('scan', onScan);
  return () => {
    source.off('connected', onConnected);
    source.off('disconnected', onDisconnected);
    source.off('error', onError);
    source.off('scan', onScan);
  };
}
