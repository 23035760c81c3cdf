import { existsSync, readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { createPrinter } from '../../drivers/printer/factory.js';
import type { Config } from '../../terminal/config/index.js';
import { syncOptionsFromConfig } from '../broker-credentials.js';
import { describePrinter } from '../devices.js';
import { connect } from '../enrol-client.js';
import { checkClientCert } from './local-checks.js';
import { type DoctorCheck, fail, ok, warn } from './types.js';

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
      if (!st.online)
        checks.push(
          fail(name, `${where} does not answer`, 'check the printer power, cable or network address'),
        );
      else if (st.paperOut) checks.push(fail(name, `${where} is out of paper`, 'load a paper roll'));
      else if (st.coverOpen) checks.push(fail(name, `${where} has its cover open`, 'close the cover'));
      else if (st.paperNearEnd) checks.push(warn(name, `${where}: paper near end`, 'replace the roll soon'));
      else checks.push(ok(name, `${where} online, paper ok`));
    } finally {
      await printer.stop();
    }
  }
  if (checks.length === 0)
    checks.push(
      warn('devices', 'no scanner and no printer configured', 'run veriterm provision to choose them'),
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
      ),
    ];
  let options: ReturnType<typeof syncOptionsFromConfig>;
  try {
    options = syncOptionsFromConfig(config.sync);
  } catch (error) {
    return [fail('broker', (error as Error).message, 're-run veriterm provision')];
  }
  const checks: DoctorCheck[] = [];
  if (options.tls?.certFile) {
    const c = checkClientCert(options.tls.certFile, options.tls.keyFile, now);
    checks.push(c);
    if (c.level === 'fail') return checks;
  }
  const tlsUrl = /^(mqtts|wss|tls|ssl):/.test(options.brokerUrl);
  if (tlsUrl && options.tls?.caFile && !existsSync(options.tls.caFile)) {
    checks.push(fail('broker', `CA file ${options.tls.caFile} is missing`, 're-run veriterm provision'));
    return checks;
  }
  try {
    const client = await connect(
      {
        brokerUrl: options.brokerUrl,
        timeoutMs,
        ...(options.username !== undefined ? { username: options.username } : {}),
        ...(options.password !== undefined ? { password: options.password } : {}),
        ...(options.tls?.caFile ? { caFile: options.tls.caFile } : {}),
        tls: {
          ...(options.tls?.certFile ? { cert: readFileSync(options.tls.certFile) } : {}),
          ...(options.tls?.keyFile ? { key: readFileSync(options.tls.keyFile) } : {}),
        },
      },
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
        ),
      );
  } catch (error) {
    checks.push(
      fail(
        'broker',
        (error as Error).message,
        'check the network and broker; if the login is refused, re-enrol with a new code',
      ),
    );
  }
  return checks;
}
