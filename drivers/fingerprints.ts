/**
 * Known USB vendors (and a few products) of retail scanners, receipt printers and the USB-serial
 * bridges inside them, in the spirit of zigbee-herdsman's adapter fingerprints. A match is a hint
 * for `veriterm devices` and the provisioning wizard, never a requirement: unknown devices still
 * work when configured by hand. `confirmed: false` marks ids seen in the field but not in a
 * vendor's own documentation.
 */
export type DeviceRole = 'scanner' | 'printer' | 'serial-bridge';

/**
 * The command language a printer speaks. veriterm prints ESC/POS; Star printers speak Star
 * Graphics (TSP100/TSP143: raster only) or StarPRNT/Star Line unless switched to ESC/POS
 * emulation, so they are refused with that message instead of printing garbage.
 */
export type PrinterProtocol = 'escpos' | 'star-graphics' | 'star-prnt';

export interface Fingerprint {
  vendorId: number;
  /** Only this product of the vendor (shared vendor ids, e.g. STMicro used by Xprinter). */
  productId?: number;
  vendor: string;
  /** Model names behind a product id, when known. */
  model?: string;
  role: DeviceRole;
  confirmed: boolean;
  /** Printers: the command language (default escpos). */
  protocol?: PrinterProtocol;
  /** Printers: the receipt profile that fits (terminal/receipts/profiles.ts). */
  profile?: string;
  /** Where the ids come from (usb.ids, a library's device table, field reports). */
  evidence?: string;
}

export const FINGERPRINTS: readonly Fingerprint[] = [
  {
    vendorId: 0x0c2e,
    vendor: 'Honeywell (Metrologic)',
    role: 'scanner',
    confirmed: true,
    evidence: 'usb.ids',
  },
  { vendorId: 0x23d0, vendor: 'Honeywell', role: 'scanner', confirmed: false, evidence: 'field reports' },
  {
    vendorId: 0x0536,
    vendor: 'Honeywell (Hand Held Products)',
    role: 'scanner',
    confirmed: true,
    evidence: 'usb.ids',
  },
  { vendorId: 0x05e0, vendor: 'Zebra (Symbol)', role: 'scanner', confirmed: true, evidence: 'usb.ids' },
  {
    vendorId: 0x05f9,
    vendor: 'Datalogic',
    role: 'scanner',
    confirmed: true,
    evidence: 'usb.ids (PSC Scanning)',
  },
  { vendorId: 0x1eab, vendor: 'Newland', role: 'scanner', confirmed: true, evidence: 'usb.ids' },
  {
    vendorId: 0x1eab,
    productId: 0x1d10,
    vendor: 'Newland',
    model: 'FM430 (HID POS)',
    role: 'scanner',
    confirmed: true,
    evidence: 'usb.ids; lamassu-machine FM430 driver',
  },
  { vendorId: 0x065a, vendor: 'Opticon', role: 'scanner', confirmed: false },
  {
    vendorId: 0x04b8,
    vendor: 'Epson',
    role: 'printer',
    confirmed: true,
    protocol: 'escpos',
    evidence: 'usb.ids',
  },
  {
    vendorId: 0x04b8,
    productId: 0x0202,
    vendor: 'Epson',
    model: 'TM-T88IV/TM-T70 (UB-U05 interface, vendor-class USB)',
    role: 'printer',
    confirmed: true,
    protocol: 'escpos',
    profile: 'epson-tm-t88',
    evidence: 'usb.ids; apple/cups#3971',
  },
  {
    vendorId: 0x04b8,
    productId: 0x0e03,
    vendor: 'Epson',
    model: 'TM-T20',
    role: 'printer',
    confirmed: true,
    protocol: 'escpos',
    profile: 'epson-tm-t88',
    evidence: 'usb.ids',
  },
  {
    vendorId: 0x04b8,
    productId: 0x0e15,
    vendor: 'Epson',
    model: 'TM-T20II/TM-T20III',
    role: 'printer',
    confirmed: false,
    protocol: 'escpos',
    profile: 'epson-tm-t88',
    evidence: 'field reports (lsusb listings in public projects)',
  },
  {
    vendorId: 0x0519,
    vendor: 'Star Micronics',
    role: 'printer',
    confirmed: true,
    protocol: 'star-prnt',
    evidence: 'usb.ids; WebUSBReceiptPrinter maps vendor 0519 to star-prnt',
  },
  {
    vendorId: 0x0519,
    productId: 0x0003,
    vendor: 'Star Micronics',
    model: 'TSP100/TSP143 (TSP100ECO/TSP100II)',
    role: 'printer',
    confirmed: true,
    protocol: 'star-graphics',
    evidence: 'usb.ids',
  },
  { vendorId: 0x1504, vendor: 'Bixolon', role: 'printer', confirmed: true, protocol: 'escpos' },
  { vendorId: 0x1d90, vendor: 'Citizen', role: 'printer', confirmed: true, protocol: 'escpos' },
  { vendorId: 0x0a5f, vendor: 'Zebra (printers)', role: 'printer', confirmed: true },
  { vendorId: 0x0dd4, vendor: 'Custom', role: 'printer', confirmed: false, protocol: 'escpos' },
  { vendorId: 0x154f, vendor: 'SNBC', role: 'printer', confirmed: false, protocol: 'escpos' },
  {
    vendorId: 0x0fe6,
    productId: 0x811e,
    vendor: 'ICS Advent USB-parallel bridge (Dtronic and other generic ESC/POS printers)',
    role: 'printer',
    confirmed: false,
    protocol: 'escpos',
    evidence: "usb.ids ('ICS Advent Parallel Adapter'); WebUSBReceiptPrinter 'Dtronic' entry",
  },
  {
    vendorId: 0x1fc9,
    productId: 0x2016,
    vendor: 'Xprinter',
    model: 'XP-N160II / XP-T80Q',
    role: 'printer',
    confirmed: false,
    protocol: 'escpos',
    profile: 'xprinter-80',
    evidence: 'WebUSBReceiptPrinter device table (NXP vendor id)',
  },
  {
    vendorId: 0x0416,
    productId: 0x5011,
    vendor: 'Zjiang / POS-58 class',
    model: 'ZJ-5805, POS-58, NT-5890K',
    role: 'printer',
    confirmed: false,
    protocol: 'escpos',
    profile: 'pos-58',
    evidence: "WebUSBReceiptPrinter 'Zjiang ZJ-5805' entry; usb.ids names the id 'Winbond Virtual Com Port'",
  },
  {
    vendorId: 0x0483,
    productId: 0x5840,
    vendor: 'MPT-II / 58Printer class',
    model: 'MPT-II, MIAOBAO 58Printer',
    role: 'printer',
    confirmed: false,
    protocol: 'escpos',
    profile: 'pos-58',
    evidence: 'python-escpos users (lsusb 0483:5840, EP 0x81 IN / 0x03 OUT)',
  },
  {
    vendorId: 0x0483,
    productId: 0x5743,
    vendor: 'Xprinter',
    role: 'printer',
    confirmed: false,
    protocol: 'escpos',
  },
  {
    vendorId: 0x0483,
    productId: 0x070b,
    vendor: 'Xprinter',
    role: 'printer',
    confirmed: false,
    protocol: 'escpos',
  },
  { vendorId: 0x0403, vendor: 'FTDI USB-serial', role: 'serial-bridge', confirmed: true },
  { vendorId: 0x067b, vendor: 'Prolific USB-serial', role: 'serial-bridge', confirmed: true },
  { vendorId: 0x10c4, vendor: 'Silicon Labs CP210x USB-serial', role: 'serial-bridge', confirmed: true },
  { vendorId: 0x1a86, vendor: 'QinHeng CH340 USB-serial', role: 'serial-bridge', confirmed: true },
];

/** The best fingerprint for a vendor/product pair: product-specific entries win. */
export function fingerprintOf(vendorId: number | undefined, productId?: number): Fingerprint | undefined {
  if (vendorId === undefined) return undefined;
  const forVendor = FINGERPRINTS.filter((f) => f.vendorId === vendorId);
  return (
    forVendor.find((f) => f.productId !== undefined && f.productId === productId) ??
    forVendor.find((f) => f.productId === undefined)
  );
}
