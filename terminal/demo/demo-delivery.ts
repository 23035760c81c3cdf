import { generateKeyPairSync } from 'node:crypto';
import { gs1CheckDigit } from '../codes/check-digit.js';
import type { ReceivingDemoLabel } from '../http/wire-types.js';
import type { Logger } from '../logger.js';
import { type ImportResult, importDeliveryNote } from '../receiving/import-note.js';
import type { DeliveryNoteInput, UnsignedDeliveryNote } from '../receiving/note-format.js';
import type { ReceivingStore } from '../receiving/receiving-store.js';
import { DEMO_DELIVERY_UNITS } from '../registry/demo.js';
import { signCommand } from '../sync/command-signing.js';
import { SyncStore } from '../sync/sync-store.js';

/** The pending delivery `npm start` offers the receiving page. */
export const DEMO_DELIVERY_ID = 'DEMO-ASN-0001';

/** An SSCC (AI 00 value, 18 digits): extension 0, GS1 China company prefix 6901234, a serial. */
function sscc(serial: number): string {
  const body = `06901234${String(serial).padStart(9, '0')}`;
  return body + gs1CheckDigit(body);
}
/** An SSCC label as a GS1-128 scanner sends it (AIM `]C1`, AI 00). */
const label = (value: string) => `]C100${value}`;

const U = DEMO_DELIVERY_UNITS;
const PALLETS = [
  { sscc: sscc(1), cases: [sscc(11), sscc(12)] },
  { sscc: sscc(2), cases: [sscc(21), sscc(22)] },
];
/** A case label on no note: the foreign case the clerk finds on the truck. */
const FOREIGN_CASE = 99;

/**
 * The demo note: two pallets of two cases of three units (U1–U12), two loose units (U13, U14) and
 * one loose unit of the recalled batch (U15, recalled in the demo registry).
 */
export function demoDeliveryNote(now: Date): DeliveryNoteInput {
  return {
    deliveryId: DEMO_DELIVERY_ID,
    supplier: { id: 'SUP-DEMO', name: '华东医药 East China Pharma' },
    expectedArrival: new Date(now.getTime() + 3_600_000).toISOString().replace(/\d\d:\d\d\.\d+Z$/, '00:00Z'),
    pallets: PALLETS.map((p, i) => ({
      sscc: p.sscc,
      cases: p.cases.map((c, j) => ({ sscc: c, units: U.slice(i * 6 + j * 3, i * 6 + j * 3 + 3) })),
    })),
    units: [U[12]!, U[13]!, U[14]!],
  };
}

/** The labels the receiving page offers to scan in the demo, in the order a clerk meets them. */
export function demoDeliveryLabels(): ReceivingDemoLabel[] {
  const tail = (s: string) => `…${s.slice(-4)}`;
  return [
    ...PALLETS.map((p, i) => ({
      data: label(p.sscc),
      kind: 'pallet' as const,
      label: { 'zh-CN': `托盘${i + 1} ${tail(p.sscc)}`, en: `Pallet ${i + 1} ${tail(p.sscc)}` },
    })),
    ...PALLETS.flatMap((p, i) =>
      p.cases.map((c, j) => ({
        data: label(c),
        kind: 'case' as const,
        label: {
          'zh-CN': `箱${i + 1}-${j + 1} ${tail(c)}`,
          en: `Case ${i + 1}-${j + 1} ${tail(c)}`,
        },
      })),
    ),
    ...[U[12]!, U[13]!, U[0]!].map((u) => ({
      data: u,
      kind: 'unit' as const,
      label: { 'zh-CN': `单品${tail(u)}`, en: `Unit ${tail(u)}` },
    })),
    {
      data: U[14]!,
      kind: 'recalled_unit',
      label: { 'zh-CN': `召回批次单品${tail(U[14]!)}`, en: `Recalled unit ${tail(U[14]!)}` },
    },
    {
      data: label(sscc(FOREIGN_CASE)),
      kind: 'foreign_case',
      label: {
        'zh-CN': `非本单箱${tail(sscc(FOREIGN_CASE))}`,
        en: `Foreign case ${tail(sscc(FOREIGN_CASE))}`,
      },
    },
  ];
}

/**
 * Signs the demo note with a throwaway demo key and imports it through `importDeliveryNote`, the
 * same check a note file or the downlink gets (the key is trusted for this import only). On a
 * restart the stored note is kept as it is: a closed demo delivery stays closed (delete the data
 * directory to receive it again).
 */
export function importDemoDelivery(
  store: ReceivingStore,
  storeId: string,
  logger: Logger,
  now = new Date(),
): ImportResult | { ok: true; status: 'present'; deliveryId: string } {
  // Its arrival time is taken from the first start: the same note again would differ in contents.
  if (store.noteByDeliveryId(DEMO_DELIVERY_ID))
    return { ok: true, status: 'present', deliveryId: DEMO_DELIVERY_ID };
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const unsigned: UnsignedDeliveryNote = {
    v: 1,
    kind: 'delivery_note',
    id: `demo-delivery-${now.getTime()}`,
    target: { storeId },
    issuedAt: new Date(now.getTime() - 60_000).toISOString(),
    expiresAt: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
    keyId: 'demo',
    note: demoDeliveryNote(now),
  };
  const result = importDeliveryNote(signCommand(unsigned, privateKey), {
    store,
    nonces: new SyncStore(store.db),
    keys: [publicKey],
    storeId,
    maxClockSkewMs: 300_000,
    nowMs: now.getTime(),
  });
  if (!result.ok) logger.warn({ code: result.code, message: result.message }, 'demo delivery not imported');
  return result;
}
