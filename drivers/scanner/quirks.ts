/**
 * What particular scanners need beyond the HID specifications, keyed by USB ids, in the spirit of
 * NielsLeenheer/WebHidBarcodeScanner's device table. Each quirk names the evidence it rests on
 * (docs/devices.md lists them with the fixtures that prove them). A quirk changes how a device is
 * read, never what a well-behaved device sends: entries are narrow (vendor, or vendor + product).
 */

/** Where a scanned-data report keeps its parts, as byte offsets in the report body (id stripped). */
export interface HidPosLayoutOverride {
  /** Report id of the scanned-data report. */
  reportId: number;
  /** Body byte holding the number of data bytes in this report. */
  byteCountOffset: number;
  /** First body byte of the decoded data. */
  dataOffset: number;
  /** Data bytes a full report carries. */
  dataBytes: number;
  /** First of three AIM symbology bytes; absent when the device sends none. */
  aimOffset?: number | undefined;
  /** Body byte whose bit 0 is "Decode Data Continued"; absent when the device has no such flag. */
  continuedOffset?: number | undefined;
}

export interface HidPosQuirk {
  /**
   * Feature reports to send after opening the HID POS interface, before reading. Honeywell
   * composite devices route scans to their keyboard interface until 0xFE ("output redirection")
   * is set to 1 (NielsLeenheer/WebHidBarcodeScanner src/main.js).
   */
  featureReports?: readonly { reportId: number; data: readonly number[] }[];
  /** The device's real report layout when its descriptor is missing or does not describe it. */
  layout?: HidPosLayoutOverride;
  /**
   * A full report (all data bytes used) may be the last of a scan even with "continued" set: the
   * JieLi SDK's hid_pos_send_report sets the flag on every 56-byte chunk, final or not. A chain
   * that falls silent after a full report is then a complete scan, not a lost tail.
   */
  fullReportMayEndChain?: boolean;
}

export interface ScannerQuirk {
  /** Stable name shown by `veriterm devices` and in logs. */
  id: string;
  vendorId: number;
  /** Only this product; absent = every product of the vendor. */
  productId?: number;
  /** Who is affected, in words. */
  devices: string;
  /** What veriterm does about it, in words (shown by `veriterm devices`). */
  effect: string;
  hidPos?: HidPosQuirk;
}

/** Honeywell scanners answer 0xFE = 1 by sending scans to their HID POS interface. */
const HONEYWELL_REDIRECT: HidPosQuirk = { featureReports: [{ reportId: 0xfe, data: [0x01] }] };

export const SCANNER_QUIRKS: readonly ScannerQuirk[] = [
  {
    id: 'honeywell-output-redirection',
    vendorId: 0x0c2e,
    devices: 'Honeywell (Metrologic) scanners in HID POS mode, composite with a keyboard interface',
    effect: 'sets feature report 0xFE (output redirection) to 1 on the HID POS interface after open',
    hidPos: HONEYWELL_REDIRECT,
  },
  {
    id: 'honeywell-output-redirection',
    vendorId: 0x23d0,
    devices: 'Honeywell scanners under the 23d0 vendor id, HID POS mode',
    effect: 'sets feature report 0xFE (output redirection) to 1 on the HID POS interface after open',
    hidPos: HONEYWELL_REDIRECT,
  },
  {
    id: 'newland-data-at-byte-2',
    vendorId: 0x1eab,
    productId: 0x1d10,
    devices: 'Newland FM430 (HID POS): byte count, then up to 56 data bytes, no AIM bytes, no continued flag',
    effect: 'reads data from report byte 2 without AIM bytes; a full report waits for more',
    hidPos: {
      layout: { reportId: 0x02, byteCountOffset: 0, dataOffset: 1, dataBytes: 56 },
      fullReportMayEndChain: true,
    },
  },
];

/** Every quirk that applies to a device, most specific first. */
export function scannerQuirksFor(vendorId: number | undefined, productId?: number): ScannerQuirk[] {
  if (vendorId === undefined) return [];
  const forVendor = SCANNER_QUIRKS.filter(
    (q) => q.vendorId === vendorId && (q.productId === undefined || q.productId === productId),
  );
  return [
    ...forVendor.filter((q) => q.productId !== undefined),
    ...forVendor.filter((q) => q.productId === undefined),
  ];
}

/** The HID POS handling for a device: quirks merged, the most specific entry winning. */
export function hidPosQuirkFor(vendorId: number, productId: number): HidPosQuirk & { ids: string[] } {
  const quirks = scannerQuirksFor(vendorId, productId).filter((q) => q.hidPos !== undefined);
  const merged: HidPosQuirk & { ids: string[] } = { ids: quirks.map((q) => q.id) };
  for (const q of [...quirks].reverse()) Object.assign(merged, q.hidPos);
  merged.ids = quirks.map((q) => q.id);
  return merged;
}
