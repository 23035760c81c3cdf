/**
 * Known USB vendors (and a few products) of retail scanners, receipt printers and the USB-serial
 * bridges inside them, in the spirit of zigbee-herdsman's adapter fingerprints. A match is a hint
 * for `veriterm devices` and the provisioning wizard, never a requirement: unknown devices still
 * work when configured by hand. `confirmed: false` marks ids seen in the field but not in a
 * vendor's own documentation.
 */
export type DeviceRole = 'scanner' | 'printer' | 'serial-bridge';

export interface Fingerprint {
  vendorId: number;
  /** Only this product of the vendor (shared vendor ids, e.g. STMicro used by Xprinter). */
  productId?: number;
  vendor: string;
  role: DeviceRole;
  confirmed: boolean;
}

export const FINGERPRINTS: readonly Fingerprint[] = [
  { vendorId: 0x0c2e, vendor: 'Honeywell (Metrologic)', role: 'scanner', confirmed: true },
  { vendorId: 0x0536, vendor: 'Honeywell (Hand Held Products)', role: 'scanner', confirmed: true },
  { vendorId: 0x05e0, vendor: 'Zebra (Symbol)', role: 'scanner', confirmed: true },
  { vendorId: 0x05f9, vendor: 'Datalogic', role: 'scanner', confirmed: true },
  { vendorId: 0x1eab, vendor: 'Newland', role: 'scanner', confirmed: true },
  { vendorId: 0x065a, vendor: 'Opticon', role: 'scanner', confirmed: false },
  { vendorId: 0x04b8, vendor: 'Epson', role: 'printer', confirmed: true },
  { vendorId: 0x0519, vendor: 'Star Micronics', role: 'printer', confirmed: true },
  { vendorId: 0x1504, vendor: 'Bixolon', role: 'printer', confirmed: true },
  { vendorId: 0x1d90, vendor: 'Citizen', role: 'printer', confirmed: true },
  { vendorId: 0x0a5f, vendor: 'Zebra (printers)', role: 'printer', confirmed: true },
  { vendorId: 0x0dd4, vendor: 'Custom', role: 'printer', confirmed: false },
  { vendorId: 0x154f, vendor: 'SNBC', role: 'printer', confirmed: false },
  {
    vendorId: 0x0fe6,
    productId: 0x811e,
    vendor: 'Rongta / generic POS-58/80',
    role: 'printer',
    confirmed: false,
  },
  { vendorId: 0x0483, productId: 0x5743, vendor: 'Xprinter', role: 'printer', confirmed: false },
  { vendorId: 0x0483, productId: 0x070b, vendor: 'Xprinter', role: 'printer', confirmed: false },
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
