import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { type DiscoveredDevice, type DiscoveryResult, discoverDevices } from '../drivers/discovery.js';
import { createPrinter, printerOptionsSchema } from '../drivers/printer/factory.js';
import { type PrinterFault, printerFault } from '../drivers/printer/status.js';
import type { PrinterStatus } from '../drivers/printer/types.js';
import { createScannerSource, parseScannerOptions } from '../drivers/scanner/create-scanner-source.js';
import type { Scan } from '../drivers/scanner/types.js';
import { parseCode } from '../terminal/codes/index.js';
import type { ParseResult } from '../terminal/codes/types.js';
import { VeritermError } from '../terminal/errors.js';
import { getProfile, type ReceiptDocument, renderReceipt } from '../terminal/receipts/index.js';
import { heldBy } from './held-by.js';
import { isEmptyLegacyPort } from './serial-ports.js';

export interface DetectedDevice {
  kind: 'scanner' | 'printer';
  label: string;
  options: Record<string, unknown>;
  /** Why it is not offered (a port another process holds). */
  unavailable?: string;
}

export interface DetectOptions {
  /** Directories of stable serial links. @default ['/dev/serial/by-id'] */
  serialDirs?: string[];
  /** Network printers to probe (raw port 9100). @default [] */
  printerHosts?: { host: string; port: number }[];
  probeTimeoutMs?: number;
  /** Serial/HID/USB discovery (drivers/discovery). @default discoverDevices; tests inject a fake */
  discover?: () => Promise<DiscoveryResult>;
  /** sysfs tty class, to tell ttyS ports with a UART from empty ones. @default '/sys/class/tty' */
  sysClassTty?: string;
  /** Where the open files of other processes are read. @default '/proc' */
  procDir?: string;
}

/**
 * Finds scanner and printer candidates: stable serial links (/dev/serial/by-id, never ttyUSB0,
 * which moves between boots), what drivers/discovery sees on the serial, HID and USB buses
 * (fingerprint table: known scanner and printer vendors), and network printers answering on
 * their raw port.
 */
export async function detectDevices(options: DetectOptions = {}): Promise<DetectedDevice[]> {
  const found: DetectedDevice[] = [];
  for (const dir of options.serialDirs ?? ['/dev/serial/by-id']) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      found.push({ kind: 'scanner', label: `serial scanner ${path}`, options: { type: 'serial', path } });
    }
  }
  found.push(...fromDiscovery(await (options.discover ?? discoverDevices)().catch(() => undefined), found));
  const probes = (options.printerHosts ?? []).map(async ({ host, port }) =>
    (await reachable(host, port, options.probeTimeoutMs ?? 500))
      ? ({
          kind: 'printer',
          label: `network printer ${host}:${port}`,
          options: { transport: 'network', host, port },
        } as const)
      : undefined,
  );
  for (const p of await Promise.all(probes)) if (p) found.push(p);
  return usableSerial(found, options);
}

/**
 * Drops built-in ttyS ports with no UART behind them (every PC has four in /dev) and marks ports
 * another process holds open (another terminal's scanner) as unavailable.
 */
function usableSerial(found: DetectedDevice[], options: DetectOptions): DetectedDevice[] {
  const out: DetectedDevice[] = [];
  for (const d of found) {
    const path = d.options.path;
    if (typeof path !== 'string') {
      out.push(d);
      continue;
    }
    if (isEmptyLegacyPort(path, options.sysClassTty)) continue;
    const holder = heldBy(path, options.procDir);
    out.push(holder ? { ...d, unavailable: `in use by process ${holder.pid} (${holder.command})` } : d);
  }
  return out;
}

/** Serial ports, HID scanners and USB printers from drivers/discovery, as scanner/printer options. */
function fromDiscovery(result: DiscoveryResult | undefined, already: DetectedDevice[]): DetectedDevice[] {
  if (!result) return [];
  const out: DetectedDevice[] = [];
  const seen = new Set(already.map((d) => d.options.path));
  const name = (d: DiscoveredDevice) => [d.vendor ?? d.manufacturer, d.product].filter(Boolean).join(' ');
  const ids = (d: DiscoveredDevice) => ({
    vendorId: d.vendorId,
    productId: d.productId,
    ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
  });
  for (const d of result.serial) {
    if (!d.path || seen.has(d.path)) continue;
    out.push(
      d.role === 'printer'
        ? {
            kind: 'printer',
            label: `serial printer ${d.path} ${name(d)}`.trim(),
            options: { transport: 'serial', path: d.path },
          }
        : {
            kind: 'scanner',
            label: `serial scanner ${d.path} ${name(d)}`.trim(),
            options: { type: 'serial', path: d.path },
          },
    );
  }
  for (const d of result.hid) {
    if (!d.scannerType || d.scannerType === 'serial' || d.vendorId === undefined) continue;
    out.push({
      kind: 'scanner',
      label: `${d.scannerType} scanner ${name(d)}`.trim(),
      options: { type: d.scannerType, ...ids(d) },
    });
  }
  for (const d of result.usbPrinters) {
    // A printer that speaks Star Graphics/StarPRNT would print garbage: never offered.
    if (d.vendorId === undefined || (d.protocol !== undefined && d.protocol !== 'escpos')) continue;
    out.push({
      kind: 'printer',
      label: `USB printer ${name(d)}`.trim(),
      options: { transport: 'usb', ...ids(d), ...(d.profile ? { profile: d.profile } : {}) },
    });
  }
  return out;
}

function reachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** One line describing how a scan was read, for the technician. */
export function describeParse(result: ParseResult): string {
  if (!result.ok) return `not a unit code: ${result.error.message}`;
  const parts = [`${result.kind} key ${result.key}`];
  if (result.gtin) parts.push(`GTIN ${result.gtin}`);
  if (result.serial) parts.push(`serial ${result.serial}`);
  if (result.batch) parts.push(`batch ${result.batch}`);
  if (result.expiry) parts.push(`expiry ${result.expiry}`);
  if (result.aim) parts.push(`symbology ${result.aim.raw}`);
  return parts.join(', ');
}

/**
 * Opens the chosen scanner and waits for one scan. A device that is not there, disappears while
 * waiting, or stays silent past the timeout is a VeritermError naming the device and what to check.
 */
export async function testScan(
  scannerOptions: Record<string, unknown>,
  options: { timeoutMs: number; onWaiting?: () => void },
): Promise<{ scan: Scan; parsed: ParseResult }> {
  const path = typeof scannerOptions.path === 'string' ? scannerOptions.path : undefined;
  if (scannerOptions.type === 'serial' && path && !existsSync(path)) {
    throw new VeritermError(
      'device_gone',
      `the scanner at ${path} is not present: check its cable and power (ls /dev/serial/by-id)`,
    );
  }
  let source: ReturnType<typeof createScannerSource>;
  try {
    source = createScannerSource(parseScannerOptions(scannerOptions));
  } catch (error) {
    throw new VeritermError('bad_device', `scanner options rejected: ${(error as Error).message}`);
  }
  try {
    const scan = await new Promise<Scan>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new VeritermError(
              'scan_timeout',
              `no scan from ${source.deviceId} within ${Math.round(options.timeoutMs / 1000)} s: scan any product code; if the scanner beeps but nothing arrives, check its suffix (CR) and baud rate`,
            ),
          ),
        options.timeoutMs,
      );
      source.once('scan', (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      source.once('disconnected', ({ reason }) => {
        clearTimeout(timer);
        reject(
          new VeritermError(
            'device_gone',
            `the scanner ${source.deviceId} went away during the test scan (${reason}): check its cable`,
          ),
        );
      });
      // Ask for the scan only once the port is open: bytes sent before that are lost.
      source.once('connected', () => options.onWaiting?.());
      source.start().catch((error: unknown) => {
        clearTimeout(timer);
        reject(
          new VeritermError(
            'device_gone',
            `cannot open the scanner ${source.deviceId}: ${(error as Error).message}`,
          ),
        );
      });
    });
    return { scan, parsed: parseCode(scan.data) };
  } finally {
    await source.stop();
  }
}

/**
 * Prints a document on the chosen printer after checking its real-time status (DLE EOT):
 * unreachable, cover open or paper out stop with the fix; nothing is queued for later.
 */
export async function printDocument(
  printerOptions: Record<string, unknown>,
  doc: ReceiptDocument,
): Promise<void> {
  let printer: ReturnType<typeof createPrinter>;
  try {
    printer = createPrinter(printerOptionsSchema.parse(printerOptions));
  } catch (error) {
    throw new VeritermError('bad_device', `printer options rejected: ${(error as Error).message}`);
  }
  const name = describePrinter(printerOptions);
  await printer.start();
  try {
    const status = await printer.status({ timeoutMs: 2000 });
    const fault = printerFault(status);
    if (fault) throw new VeritermError(PRINT_FAULT_CODES[fault], printerFaultText(name, fault, status));
    const profile = getProfile(
      typeof printerOptions.profile === 'string' ? printerOptions.profile : 'generic',
    );
    await printer.write(renderReceipt(doc, profile), { timeoutMs: 10_000 });
  } finally {
    await printer.stop();
  }
}

const PRINT_FAULT_CODES: Record<PrinterFault, string> = {
  paper_out: 'printer_paper',
  cover_open: 'printer_cover',
  error: 'printer_error',
  offline: 'device_gone',
};

/** What is wrong with the printer and what to do, for the technician (doctor says the same). */
export function printerFaultText(name: string, fault: PrinterFault, status: PrinterStatus): string {
  switch (fault) {
    case 'paper_out':
      return `the printer ${name} is out of paper: load a roll and try again`;
    case 'cover_open':
      return `the printer ${name} has its cover open: close it and try again`;
    case 'error':
      return `the printer ${name} reports an error (${status.detail ?? 'printer error'})`;
    case 'offline':
      return `the printer ${name} does not answer: check power, cable or network (${status.detail ?? 'offline'})`;
  }
}

export function describePrinter(o: Record<string, unknown>): string {
  if (o.transport === 'network') return `${o.host}:${o.port ?? 9100}`;
  if (o.transport === 'serial' || o.transport === 'file') return String(o.path);
  if (o.transport === 'usb') return `usb ${o.vendorId ?? '?'}:${o.productId ?? '?'}`;
  return String(o.transport);
}

export function describeScanner(o: Record<string, unknown>): string {
  return typeof o.path === 'string' ? `${o.type} ${o.path}` : String(o.type);
}
