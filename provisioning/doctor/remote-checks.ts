import { existsSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { createPrinter } from '../../drivers/printer/factory.js';
import { type PrinterFault, printerFault } from '../../drivers/printer/status.js';
import type { Config } from '../../terminal/config/index.js';
import { syncOptionsFromConfig } from '../broker-credentials.js';
import { describePrinter, printerFaultText } from '../devices.js';
import { connect, terminalTarget } from '../enrol-client.js';
import { checkClientCert } from './local-checks.js';
import { type DoctorCheck, fail, ok, warn } from './types.js';
import { probeUplink, type UplinkResult, uplinkRemedy } from './uplink-probe.js';

/** Each printer fault's remedy, for the person at the printer. */
const PRINTER_REMEDIES: Record<PrinterFault, string> = {
  paper_out: 'load a paper roll, close the cover, then re-run veriterm doctor',
  cover_open: 'close the printer cover',
  error: 'see the printer error above (clear the cutter, let the head cool, or power-cycle the printer)',
  offline: 'check the printer power, cable or network address',
};

/** Scanners present (serial by path), printers answering DLE EOT with paper. */
export async function checkDevices(config: Config, timeoutMs: number): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const [i, s] of config.scanners.entries()) {
    const name = `scanner ${i + 1}`;
    const path = (s as { path?: unknown }).path;
    if (s.type === 'serial' && typeof path === 'string') {
      checks.push(
        existsSync(path)
          ? ok(name, `${path} present`)
          : fail(
              name,
              `${path} is not present`,
              'plug the scanner in (check its cable and power), then re-run veriterm doctor',
              'scanner_missing',
            ),
      );
    } else {
      checks.push(ok(name, `${String(s.type)} (not checked without the device)`));
    }
  }
  for (const [i, p] of config.printers.entries()) {
    const name = `printer ${i + 1}`;
    const printer = createPrinter(p);
    await printer.start();
    try {
      const st = await printer.status({ timeoutMs });
      const where = describePrinter(p);
      // Paper out before offline: a printer out of paper also says it is offline (printerFault).
      const fault = printerFault(st);
      if (fault)
        checks.push(
          fail(name, printerFaultText(where, fault, st), PRINTER_REMEDIES[fault], `printer_${fault}`),
        );
      else if (st.paperNearEnd)
        checks.push(warn(name, `${where}: paper near end`, 'replace the roll soon', 'printer_paper_low'));
      else checks.push(ok(name, `${where} online, paper ok`));
    } finally {
      await printer.stop();
    }
  }
  if (checks.length === 0)
    checks.push(
      warn(
        'devices',
        'no scanner and no printer configured',
        'run veriterm provision to choose them',
        'no_devices',
      ),
    );
  return checks;
}

/** Connects to the broker with the terminal's own credentials; reports TLS and authentication. */
export async function checkBroker(config: Config, timeoutMs: number, now: Date): Promise<DoctorCheck[]> {
  if (!config.sync)
    return [
      warn(
        'broker',
        'no upstream link configured (sync section missing)',
        'run veriterm provision to enrol with upstream',
        'not_enrolled',
      ),
    ];
  let options: ReturnType<typeof syncOptionsFromConfig>;
  try {
    options = syncOptionsFromConfig(config.sync);
  } catch (error) {
    return [fail('broker', (error as Error).message, 're-run veriterm provision', 'credentials_missing')];
  }
  const checks: DoctorCheck[] = [];
  if (options.tls?.certFile) {
    const c = checkClientCert(options.tls.certFile, options.tls.keyFile, now);
    checks.push(c);
    if (c.level === 'fail') return checks;
  }
  const tlsUrl = /^(mqtts|wss|tls|ssl):/.test(options.brokerUrl);
  if (tlsUrl && options.tls?.caFile && !existsSync(options.tls.caFile)) {
    checks.push(
      fail(
        'broker',
        `CA file ${options.tls.caFile} is missing`,
        're-run veriterm provision',
        'credentials_missing',
      ),
    );
    return checks;
  }
  try {
    const client = await connect(
      terminalTarget(options, timeoutMs),
      `vt-doctor-${options.storeId}-${options.terminalId}-${process.pid}`,
    );
    const stream = client.stream as Partial<TLSSocket>;
    const tls = typeof stream.getProtocol === 'function' ? stream.getProtocol() : undefined;
    await client.endAsync(true);
    if (tlsUrl)
      checks.push(
        ok(
          'broker',
          `${options.brokerUrl} accepted us over ${tls ?? 'TLS'} (server certificate verified against the pinned CA)`,
        ),
      );
    else
      checks.push(
        warn(
          'broker',
          `${options.brokerUrl} accepted us, but the link is not encrypted`,
          'use an mqtts:// listener in production (TLS with the pinned CA)',
          'broker_plaintext',
        ),
      );
  } catch (error) {
    const code = (error as { code?: string }).code;
    const cause = code === 'broker_refused' || code === 'broker_tls' ? code : 'broker_unreachable';
    const ids = { storeId: options.storeId, terminalId: options.terminalId };
    checks.push(fail('broker', (error as Error).message, uplinkRemedy(cause, ids), cause));
  }
  return checks;
}

/**
 * The terminal's uplink end to end (doctor/uplink-probe.ts): its publish passes the broker ACL
 * and upstream answers with a registry for its scope. Run only once the broker took the login.
 */
export async function checkUplink(
  sync: NonNullable<Config['sync']>,
  timeoutMs: number,
): Promise<{ check: DoctorCheck; result: UplinkResult }> {
  const result = await probeUplink(sync, { timeoutMs });
  if (result.ok)
    return {
      result,
      check: ok(
        'uplink',
        `publish accepted by the broker, upstream answered: registry${result.releaseVersion !== undefined ? ` v${result.releaseVersion}` : ''} for scope ${result.scope}`,
      ),
    };
  return { result, check: fail('uplink', result.message, result.remedy, result.cause) };
}
