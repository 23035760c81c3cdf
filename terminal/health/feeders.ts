import type { PrinterStatus, ReceiptPrinter } from '../../drivers/printer/types.js';
import type { ScannerSource } from '../../drivers/scanner/types.js';
import type { RegistryReader } from '../registry/types.js';
import { registryStaleness } from '../verify/policy.js';
import type { HealthReporter } from './types.js';

/**
 * Feeds a scanner's connection state into health: `scanner:<deviceId>`. Returns the unsubscribe.
 * A disconnected scanner is a FAIL: the kiosk cannot do its job without it.
 */
export function watchScanner(
  scanner: ScannerSource,
  health: HealthReporter,
  clock = () => new Date(),
): () => void {
  const id = `scanner:${scanner.deviceId}`;
  let lastScanAt: string | undefined;
  const details = () => ({
    deviceId: scanner.deviceId,
    state: scanner.state,
    ...(lastScanAt ? { lastScanAt } : {}),
  });
  const connected = () =>
    health.report(id, { level: 'ok', code: 'scanner.connected', reason: 'Connected', details: details() });
  const disconnected = ({ reason }: { reason: string }) =>
    health.report(id, {
      level: 'fail',
      code: 'scanner.disconnected_detail',
      params: { detail: reason },
      reason: `Scanner disconnected: ${reason}`,
      details: details(),
    });
  const scanned = () => {
    lastScanAt = clock().toISOString();
  };
  const errored = ({ message }: { message: string }) =>
    health.report(id, {
      level: 'warn',
      code: 'scanner.unreadable',
      params: { detail: message },
      reason: `Unreadable data from scanner: ${message}`,
      details: details(),
    });
  scanner.on('connected', connected);
  scanner.on('disconnected', disconnected);
  scanner.on('scan', scanned);
  scanner.on('error', errored);
  if (scanner.state === 'connected') connected();
  else
    health.report(id, {
      level: 'warn',
      code: `scanner.${scanner.state}`,
      reason: `Scanner ${scanner.state}`,
      details: details(),
    });
  return () => {
    scanner.off('connected', connected);
    scanner.off('disconnected', disconnected);
    scanner.off('scan', scanned);
    scanner.off('error', errored);
  };
}

/**
 * Reports the registry's version and age against the allowed maximum (`registry`): WARN past half the
 * allowed age (time to sync), FAIL when verdicts have become `unverifiable`.
 */
export function reportRegistry(
  registry: RegistryReader,
  health: HealthReporter,
  maxAgeMs: number,
  now = new Date(),
): void {
  const state = registry.state();
  if (!state) {
    health.report('registry', {
      level: 'fail',
      code: 'registry.missing',
      reason: 'No registry imported: codes cannot be confirmed',
    });
    return;
  }
  const ageMs = now.getTime() - Date.parse(state.asOf);
  const details = {
    scope: state.scope,
    version: state.version,
    asOf: state.asOf,
    expires: state.expires,
    ageMs,
    maxAgeMs,
    units: state.units,
  };
  const stale = registryStaleness(state, now, maxAgeMs);
  const hours = (ageMs / 3_600_000).toFixed(1);
  const aged = { version: state.version, hours: Number(hours) };
  if (stale === 'registry_expired') {
    health.report('registry', {
      level: 'fail',
      code: 'registry.expired',
      params: { version: state.version, expiresAt: state.expires },
      reason: `Registry v${state.version} expired at ${state.expires}`,
      details,
    });
  } else if (stale) {
    health.report('registry', {
      level: 'fail',
      code: 'registry.stale',
      params: aged,
      reason: `Registry v${state.version} is ${hours} h old (too old)`,
      details,
    });
  } else if (ageMs > maxAgeMs / 2) {
    health.report('registry', {
      level: 'warn',
      code: 'registry.aging',
      params: aged,
      reason: `Registry v${state.version} is ${hours} h old`,
      details,
    });
  } else {
    health.report('registry', {
      level: 'ok',
      code: 'registry.current',
      params: aged,
      reason: `Registry v${state.version}, ${hours} h old`,
      details,
    });
  }
}

/** Process uptime and memory (`process`); WARN above `maxRssBytes`. */
export function reportProcess(health: HealthReporter, maxRssBytes = 512 * 1024 * 1024): void {
  const memory = process.memoryUsage();
  const details = {
    uptimeS: Math.round(process.uptime()),
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    pid: process.pid,
  };
  const mb = Math.round(memory.rss / 1048576);
  health.report(
    'process',
    memory.rss > maxRssBytes
      ? {
          level: 'warn',
          code: 'process.memory_high',
          params: { rssBytes: memory.rss },
          reason: `High memory use: ${mb} MB`,
          details,
        }
      : {
          level: 'ok',
          code: 'process.running',
          params: { rssBytes: memory.rss },
          reason: `Running, ${mb} MB`,
          details,
        },
  );
}

/**
 * Feeds a receipt printer's real-time status (DLE EOT) into health: `printer:<id>`.
 * Paper out, cover open, offline and errors are FAIL (no receipt can print); paper near end is WARN.
 */
export function watchPrinter(printer: ReceiptPrinter, health: HealthReporter): () => void {
  const id = `printer:${printer.id}`;
  const onStatus = (s: PrinterStatus) => {
    const details = { ...s };
    // Paper out and cover open come first: such a printer also reports itself offline (DLE EOT 1).
    if (s.paperOut)
      health.report(id, { level: 'fail', code: 'printer.paper_out', reason: 'Paper out', details });
    else if (s.coverOpen)
      health.report(id, { level: 'fail', code: 'printer.cover_open', reason: 'Cover open', details });
    else if (s.error)
      health.report(id, {
        level: 'fail',
        ...(s.detail
          ? { code: 'printer.error_detail', params: { detail: s.detail } }
          : { code: 'printer.error' }),
        reason: `Printer error${s.detail ? `: ${s.detail}` : ''}`,
        details,
      });
    else if (!s.online)
      health.report(id, {
        level: 'fail',
        ...(s.detail
          ? { code: 'printer.offline_detail', params: { detail: s.detail } }
          : { code: 'printer.offline' }),
        reason: `Printer offline${s.detail ? `: ${s.detail}` : ''}`,
        details,
      });
    else if (s.paperNearEnd)
      health.report(id, { level: 'warn', code: 'printer.paper_low', reason: 'Paper running low', details });
    else health.report(id, { level: 'ok', code: 'printer.ready', reason: 'Ready', details });
  };
  health.report(id, { level: 'warn', code: 'printer.unchecked', reason: 'Waiting for first status' });
  printer.on('status', onStatus);
  return () => printer.off('status', onStatus);
}
