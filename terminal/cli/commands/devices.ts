import { type DiscoveredDevice, type DiscoveryDeps, discoverDevices } from '../../../drivers/discovery.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';

const HELP = `Usage: veriterm devices [--json]

Lists serial ports, HID devices (with usage page) and USB printers, marking known scanner and
printer vendors, with the scanner source type that fits each. --json prints
{ "status": "ok", "data": { serial, hid, usbPrinters, notes } }.
`;

const hex = (n: number | undefined) => (n === undefined ? '----' : n.toString(16).padStart(4, '0'));

function line(d: DiscoveredDevice): string {
  const ids = d.vendorId === undefined ? 'no USB ids' : `${hex(d.vendorId)}:${hex(d.productId)}`;
  const parts = [`  ${d.path ?? '(no device node)'}`, ids];
  if (d.usagePage !== undefined)
    parts.push(`usage page 0x${d.usagePage.toString(16)}/0x${(d.usage ?? 0).toString(16)}`);
  const name = [d.manufacturer, d.product].filter(Boolean).join(' ');
  if (name) parts.push(name);
  if (d.serialNumber) parts.push(`serial ${d.serialNumber}`);
  if (d.role) parts.push(`[${d.vendor ? `${d.vendor} ` : ''}${d.role}]`);
  if (d.scannerType) parts.push(`→ scanner type '${d.scannerType}'`);
  return parts.join('  ');
}

function section(title: string, devices: DiscoveredDevice[]): string[] {
  if (devices.length === 0) return [`${title}: none`];
  return [`${title} (${devices.length}):`, ...devices.map(line)];
}

/** `veriterm devices [--json]`: what hardware this machine can see. */
export async function run(argv: string[], io: CommandIo, deps: DiscoveryDeps = {}): Promise<number> {
  const parsed = parseCommandOrHelp(
    'devices',
    argv,
    { json: { type: 'boolean' } },
    { usage: HELP, io, allowPositionals: false },
  );
  if (!parsed) return 0;
  const { values } = parsed;
  const found = await discoverDevices(deps);
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
