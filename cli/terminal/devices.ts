import { type DiscoveredDevice, type DiscoveryDeps, discoverDevices } from '../../drivers/discovery.js';
import type { HidApi, HidDeviceInfo } from '../../drivers/scanner/hid/hid-device.js';
import { type ListenResult, listenForScan } from '../../drivers/scanner/listen.js';
import { UsageError } from '../../terminal/errors.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';

const HELP = `Usage: veriterm devices [--json]
       veriterm devices --listen [--device VID:PID] [--timeout SECONDS] [--json]

Lists serial ports, HID devices (with usage page) and USB printers, marking known scanner and
printer vendors, the scanner source type that fits each, the quirks the drivers apply to it and,
for printers, the command language and receipt profile. --json prints
{ "status": "ok", "data": { serial, hid, usbPrinters, notes } }.

--listen opens a scanner (the first HID POS or keyboard scanner found, or --device) through the
driver, waits for one scan (default 30 s), and shows the raw reports or keys, what was decoded,
and the setting to change when something is off (e.g. keyboard.gs = 'down').
`;

/** Collaborators; tests pass fakes (a fake HID bus, a fake clock). */
export interface DevicesDeps extends DiscoveryDeps {
  hid?: HidApi;
  now?: () => number;
  /** --listen: silence that ends the scan. @default 400 */
  quietMs?: number;
}

const hex = (n: number | undefined) => (n === undefined ? '----' : n.toString(16).padStart(4, '0'));

function line(d: DiscoveredDevice): string[] {
  const ids = d.vendorId === undefined ? 'no USB ids' : `${hex(d.vendorId)}:${hex(d.productId)}`;
  const parts = [`  ${d.path ?? '(no device node)'}`, ids];
  if (d.usagePage !== undefined)
    parts.push(`usage page 0x${d.usagePage.toString(16)}/0x${(d.usage ?? 0).toString(16)}`);
  const name = [d.manufacturer, d.product].filter(Boolean).join(' ');
  if (name) parts.push(name);
  if (d.serialNumber) parts.push(`serial ${d.serialNumber}`);
  if (d.role) parts.push(`[${[d.vendor, d.model].filter(Boolean).join(' ')}${d.vendor ? ' ' : ''}${d.role}]`);
  if (d.scannerType) parts.push(`→ scanner type '${d.scannerType}'`);
  if (d.kind === 'usb-printer') {
    if (d.protocol && d.protocol !== 'escpos')
      parts.push(
        `→ speaks ${d.protocol}, not ESC/POS: refused (printer.protocol: 'escpos' only if switched to ESC/POS emulation)`,
      );
    else parts.push(`→ ESC/POS${d.profile ? `, profile '${d.profile}'` : ''}`);
    if (d.vendorClass) parts.push('(vendor-class USB interface: used as the printer)');
  }
  const out = [parts.join('  ')];
  for (const q of d.quirks ?? []) out.push(`      quirk ${q.id}: ${q.effect}`);
  return out;
}

function section(title: string, devices: DiscoveredDevice[]): string[] {
  if (devices.length === 0) return [`${title}: none`];
  return [`${title} (${devices.length}):`, ...devices.flatMap(line)];
}

/** Control characters as <GS>, <CR>… so a technician sees them. */
function visible(text: string): string {
  const names: Record<number, string> = {
    29: 'GS',
    13: 'CR',
    10: 'LF',
    9: 'TAB',
    30: 'RS',
    4: 'EOT',
    6: 'ACK',
  };
  return text.replace(
    /[\x00-\x1f]/g,
    (c) => `<${names[c.charCodeAt(0)] ?? `0x${c.charCodeAt(0).toString(16)}`}>`,
  );
}

function listenReport(r: ListenResult): string {
  const lines = [
    `Scanner ${hex(r.device.vendorId)}:${hex(r.device.productId)} ${r.device.product ?? ''} as '${r.mode}'`.trimEnd(),
  ];
  if (r.quirks.length > 0) lines.push(`  quirks applied: ${r.quirks.join(', ')}`);
  if (r.layout) lines.push(`  report layout from: ${r.layout}`);
  lines.push(`  raw reports (${r.reports.length}):`);
  const shown = r.reports.slice(0, 200);
  for (const rep of shown) lines.push(`    +${String(Math.round(rep.atMs)).padStart(5)} ms  ${rep.hex}`);
  if (r.reports.length > shown.length) lines.push(`    … ${r.reports.length - shown.length} more`);
  if (r.keys.length > 0) lines.push(`  keys: ${r.keys.join(' ')}`);
  lines.push(r.scans.length === 0 ? '  decoded: nothing' : '  decoded:');
  for (const s of r.scans)
    lines.push(`    ${visible(s.data)}${s.symbology ? `  (symbology ${s.symbology})` : ''}`);
  for (const e of r.errors) lines.push(`  error ${e.code}: ${e.message}`);
  if (r.suggestions.length > 0) lines.push('  suggestions:', ...r.suggestions.map((s) => `    - ${s}`));
  else lines.push('  suggestions: none, the scan decoded as sent');
  return `${lines.join('\n')}\n`;
}

function pickScanner(hid: DiscoveredDevice[], wanted: string | undefined): DiscoveredDevice | undefined {
  if (wanted !== undefined) {
    const m = /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(wanted);
    if (!m)
      throw new UsageError(
        `veriterm devices: --device expects VID:PID in hex (e.g. 0c2e:0b61), got "${wanted}"`,
      );
    const [vid, pid] = [Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16)];
    const matches = hid.filter((d) => d.vendorId === vid && d.productId === pid);
    return matches.find((d) => d.scannerType === 'hid-pos') ?? matches[0];
  }
  return hid.find((d) => d.scannerType === 'hid-pos') ?? hid.find((d) => d.scannerType === 'keyboard-wedge');
}

/** `veriterm devices [--json] [--listen …]`: what hardware this machine can see, and how a scanner talks. */
export async function run(argv: string[], io: CommandIo, deps: DevicesDeps = {}): Promise<number> {
  const parsed = parseCommandOrHelp(
    'devices',
    argv,
    {
      json: { type: 'boolean' },
      listen: { type: 'boolean' },
      device: { type: 'string' },
      timeout: { type: 'string' },
    },
    { usage: HELP, io, allowPositionals: false },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const listHid = deps.listHid ?? (deps.hid ? () => deps.hid!.devices() : undefined);
  const found = await discoverDevices({ ...deps, ...(listHid ? { listHid } : {}) });
  if (values.listen) return listen(found.hid, values, io, deps);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ status: 'ok', data: found }, null, 2)}\n`);
    return 0;
  }
  const all = [...found.serial, ...found.hid, ...found.usbPrinters];
  const known = all.filter(
    (d) => d.role === 'scanner' || d.role === 'printer' || d.scannerType === 'hid-pos',
  );
  const lines = [
    ...section('Serial ports', found.serial),
    ...section('HID devices', found.hid),
    ...section('USB printers', found.usbPrinters),
    '',
    known.length === 0
      ? 'No known scanner or printer found.'
      : `Known scanners/printers: ${known.length} (see the [vendor role] marks above).`,
    ...found.notes.map((n) => `note: could not list ${n}`),
    '',
  ];
  io.stdout.write(lines.join('\n'));
  return 0;
}

async function listen(
  hid: DiscoveredDevice[],
  values: { json?: boolean | undefined; device?: string | undefined; timeout?: string | undefined },
  io: CommandIo,
  deps: DevicesDeps,
): Promise<number> {
  const seconds = values.timeout === undefined ? 30 : Number(values.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600)
    throw new UsageError(
      `veriterm devices: --timeout expects seconds between 1 and 600, got "${values.timeout}"`,
    );
  const chosen = pickScanner(hid, values.device);
  if (!chosen || chosen.vendorId === undefined || chosen.productId === undefined) {
    const message = values.device
      ? `no HID interface ${values.device} found (veriterm devices lists what is attached)`
      : 'no HID POS or keyboard scanner found: plug one in, or name it with --device VID:PID';
    if (values.json)
      io.stdout.write(
        `${JSON.stringify({ status: 'error', error: { code: 'scanner_not_found', message } })}\n`,
      );
    else io.stderr.write(`veriterm devices --listen: ${message}\n`);
    return 1;
  }
  const info: HidDeviceInfo = {
    vendorId: chosen.vendorId,
    productId: chosen.productId,
    path: chosen.path,
    usagePage: chosen.usagePage,
    usage: chosen.usage,
    product: chosen.product,
  };
  if (!values.json)
    io.stdout.write(`Listening to ${hex(info.vendorId)}:${hex(info.productId)}: scan one code…\n`);
  const result = await listenForScan({
    device: info,
    timeoutMs: seconds * 1000,
    ...(deps.quietMs !== undefined ? { quietMs: deps.quietMs } : {}),
    ...(deps.hid ? { hid: deps.hid } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  if (values.json) io.stdout.write(`${JSON.stringify({ status: 'ok', data: result }, null, 2)}\n`);
  else io.stdout.write(listenReport(result));
  return result.reports.length === 0 ? 1 : 0;
}
