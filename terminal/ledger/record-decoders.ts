import { z } from 'zod';
import { VeritermError } from '../errors.js';
import { type CodeMismatch, VERDICT_KINDS } from '../verify/types.js';
import type {
  AlertPayload,
  Approval,
  ReceiptException,
  RecordPayloads,
  ReturnedPart,
  ReturnLinePayload,
  SaleLinePayload,
  SalePart,
  SoldContext,
  StockOutKind,
  StocktakeBadUnit,
} from './payloads.js';
import {
  ALERT_KINDS,
  RECEIPT_EXCEPTION_REASONS,
  type RecordType,
  STOCK_OUT_KINDS,
  STOCK_OUT_REASONS,
  STOCKTAKE_BAD_REASONS,
} from './types.js';

/**
 * One decoder per record type, built from the payload types in payloads.ts and shared by the
 * terminal (its reads of stored payloads) and upstream (ingest): a payload is understood the same
 * way on both sides or refused with the path of what is wrong. Each decoder also says which unit
 * state changes its record implies, so nobody interprets payload fields on their own.
 *
 * Writes do not decode: the checkout builds typed payloads directly (its hot path); decoding is
 * for reading what was stored or received. Objects are loose: fields a payload type does not name
 * pass through unchanged (payload types allow extras; a newer terminal may add some), so decoding a
 * valid payload gives back the same data.
 */

/**
 * A unit's new state implied by a record: written off (`sold`), sellable again (`active`),
 * checked in at the record's store (`received`, from a goods receipt), gone from the store's
 * stock (`destroyed`, `returned_to_supplier`, `transferred`: a `stock_out` record), or taken out
 * of or into stock by a manager's stocktake adjustment (`lost`, `found`).
 */
export interface UnitStateChange {
  key: string;
  status: UnitChangeStatus;
}

export const UNIT_CHANGE_STATUSES = [
  'sold',
  'active',
  'received',
  'destroyed',
  'returned_to_supplier',
  'transferred',
  'lost',
  'found',
] as const;
export type UnitChangeStatus = (typeof UNIT_CHANGE_STATUSES)[number];

/** The codes and sales a record is about (the ledger export's `code_key` and `sale_id` columns). */
export interface RecordRefs {
  codeKeys: string[];
  saleIds: string[];
}

export interface RecordDecoder<P> {
  readonly schema: z.ZodType<P>;
  /** The unit state changes a record with this (decoded) payload implies, in payload order. */
  unitChanges(payload: P): UnitStateChange[];
  /** The codes and the earlier sales the record names (a sale record's own id is not among them). */
  refs(payload: P): RecordRefs;
}

/** Longest code key a payload may carry: GS1 Digital Link keys stay well under this. */
const MAX_KEY_CHARS = 512;
const MAX_TEXT_CHARS = 4096;
/** Lines in one sale or return: far above any basket (checkout's own limit is configured lower). */
const MAX_LINES = 10_000;
/** Largest split pack (the registry's limit, terminal/registry/body-format.ts). */
const MAX_PACK_QUANTITY = 10_000;

const text = (max = MAX_TEXT_CHARS) => z.string().min(1).max(max);
const codeKey = () => text(MAX_KEY_CHARS);
const seq = () => z.int().min(1);

/**
 * The fields of a payload interface without its index signature: each decoder's shape must name
 * exactly these (the `satisfies` below), so a field added to a payload type without its decoder
 * does not compile.
 */
type KnownKeys<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K];
};
type ShapeOf<T> = { [K in KnownKeys<T>]-?: z.ZodType };

const approval = z.looseObject({ by: text(), reason: text() } satisfies ShapeOf<Approval>);

const saleLine = z.looseObject({
  codeKey: codeKey(),
  codeTail: z.string().max(MAX_KEY_CHARS),
  productKey: text(MAX_KEY_CHARS).optional(),
  productName: z.looseObject({ 'zh-CN': z.string(), en: z.string() }).optional(),
  verdict: z.enum(VERDICT_KINDS),
  reason: text(),
  override: approval.optional(),
  // A product-only line (codeKey is the product key): it has no write-off.
  productOnly: z.literal(true).optional(),
  part: z
    .looseObject({
      quantity: z.int().min(1).max(MAX_PACK_QUANTITY),
      packQuantity: z.int().min(2).max(MAX_PACK_QUANTITY),
      unit: text(64),
    } satisfies ShapeOf<SalePart>)
    .refine((p) => p.quantity <= p.packQuantity, 'quantity exceeds packQuantity')
    .optional(),
  // A unit this store never checked in (receiving.mode warn or enforce).
  flag: z.literal('not_received').optional(),
} satisfies ShapeOf<SaleLinePayload>);

const returnLine = z
  .looseObject({
    codeKey: codeKey(),
    saleId: text(),
    writeOffId: text().optional(),
    writeOffSeq: seq().optional(),
    part: z
      .looseObject({
        saleSeq: seq(),
        line: z.int().min(0),
        quantity: z.int().min(1).max(MAX_PACK_QUANTITY),
      } satisfies ShapeOf<ReturnedPart>)
      .optional(),
  } satisfies ShapeOf<ReturnLinePayload>)
  // A line takes back a write-off (both fields), a part of a pack still open (`part`), or both.
  .superRefine((l, ctx) => {
    const missing =
      l.writeOffId === undefined && (l.writeOffSeq !== undefined || l.part === undefined)
        ? 'writeOffId'
        : l.writeOffSeq === undefined && l.writeOffId !== undefined
          ? 'writeOffSeq'
          : undefined;
    if (missing) {
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: `Invalid input: expected ${missing} (only a split-pack part of a pack still open has none)`,
      });
    }
  });

const soldContext = z.looseObject({
  where: z.enum(['here', 'upstream']),
  // Empty when the registry knew a sale but not where or when (policy.ts `sold_upstream`).
  storeId: z.string().max(MAX_TEXT_CHARS),
  terminalId: z.string().max(MAX_TEXT_CHARS).optional(),
  at: z.string().max(64),
  saleId: text().optional(),
} satisfies ShapeOf<SoldContext>);

const attempt = z.looseObject({
  externalRef: text().optional(),
  cashier: z.string().max(MAX_TEXT_CHARS).optional(),
  at: text(64),
  storeId: text(),
  terminalId: text(),
} satisfies ShapeOf<NonNullable<AlertPayload['attempt']>>);

const scannedVsRegistered = z.looseObject({ scanned: text(64), registered: text(64) });
const mismatch = z.looseObject({
  batch: scannedVsRegistered.optional(),
  expiry: scannedVsRegistered.optional(),
} satisfies ShapeOf<CodeMismatch>);

/** Units one receipt may list (accepted, or missing): a delivery note's own bound is lower. */
const MAX_RECEIPT_UNITS = 1_000_000;
const MAX_RECEIPT_CONTAINERS = 100_000;

const unitKeysByProduct = z
  .record(codeKey(), z.array(z.string().min(1).max(MAX_KEY_CHARS)).max(MAX_RECEIPT_UNITS))
  .superRefine((byProduct, ctx) => {
    let n = 0;
    for (const rests of Object.values(byProduct)) n += rests.length;
    if (n > MAX_RECEIPT_UNITS)
      ctx.addIssue({ code: 'custom', message: `${n} units: at most ${MAX_RECEIPT_UNITS} in one receipt` });
  });

const receiptException = z.looseObject({
  key: codeKey(),
  reason: z.enum(RECEIPT_EXCEPTION_REASONS),
  putAside: z.literal(true).optional(),
} satisfies ShapeOf<ReceiptException>);

const stocktakeBad = z.looseObject({
  key: codeKey(),
  reason: z.enum(STOCKTAKE_BAD_REASONS),
} satisfies ShapeOf<StocktakeBadUnit>);

/** The unit state a `stock_out` of each kind implies. */
const STOCK_OUT_STATUS = {
  return_to_supplier: 'returned_to_supplier',
  transfer: 'transferred',
  destruction: 'destroyed',
} as const satisfies Record<StockOutKind, UnitChangeStatus>;

/** A unit listed twice across the named by-product listings of one record. */
function uniqueUnits(
  listings: readonly (readonly [string, Record<string, string[]>])[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  for (const [name, byProduct] of listings) {
    for (const key of keysOf(byProduct)) {
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `unit ${key} is listed twice in one record` });
        return;
      }
      seen.add(key);
    }
  }
}

/** Every unit key of a by-product listing, in listing order. */
function keysOf(byProduct: Record<string, string[]>): string[] {
  const keys: string[] = [];
  for (const [product, rests] of Object.entries(byProduct))
    for (const rest of rests) keys.push(product + rest);
  return keys;
}

/** Every code key of a return once: a unit cannot come back twice in one return. */
function uniqueKeys(lines: readonly { codeKey: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    if (seen.has(line.codeKey)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lines', i, 'codeKey'],
        message: `code ${line.codeKey} appears on an earlier line of the same return`,
      });
    }
    seen.add(line.codeKey);
  });
}

function decoder<P>(
  schema: z.ZodType<P>,
  unitChanges: (payload: P) => UnitStateChange[],
  refs: (payload: P) => RecordRefs,
): RecordDecoder<P> {
  return { schema, unitChanges, refs };
}

const none = (): UnitStateChange[] => [];
const distinct = (values: readonly string[]): string[] => [...new Set(values)];

/** The decoder of every record type: a type in RECORD_TYPES without one does not compile. */
export const RECORD_DECODERS = {
  // The sale's write-off records (one per line) carry the state changes, not the sale.
  sale: decoder(
    z.looseObject({
      externalRef: text().optional(),
      cashier: z.string().max(MAX_TEXT_CHARS).optional(),
      lines: z.array(saleLine).min(1).max(MAX_LINES),
    } satisfies ShapeOf<RecordPayloads['sale']>),
    none,
    () => ({ codeKeys: [], saleIds: [] }),
  ),
  write_off: decoder(
    z.looseObject({
      codeKey: codeKey(),
      saleId: text(),
      line: z.int().min(0),
    } satisfies ShapeOf<RecordPayloads['write_off']>),
    (p) => [{ key: p.codeKey, status: 'sold' }],
    (p) => ({ codeKeys: [p.codeKey], saleIds: [p.saleId] }),
  ),
  // Each line takes back one write-off: its unit is sellable again.
  return: decoder(
    z
      .looseObject({
        externalRef: text().optional(),
        approvedBy: text(),
        reason: z.string().max(MAX_TEXT_CHARS).optional(),
        lines: z.array(returnLine).min(1).max(MAX_LINES),
      } satisfies ShapeOf<RecordPayloads['return']>)
      .superRefine((p, ctx) => uniqueKeys(p.lines, ctx)),
    // A part of a pack still open took back no write-off: nothing changes for the unit upstream.
    (p) =>
      p.lines.flatMap((line) =>
        line.writeOffId === undefined ? [] : [{ key: line.codeKey, status: 'active' as const }],
      ),
    (p) => ({ codeKeys: p.lines.map((l) => l.codeKey), saleIds: distinct(p.lines.map((l) => l.saleId)) }),
  ),
  alert: decoder(
    z.looseObject({
      kind: z.enum(ALERT_KINDS),
      codeKey: codeKey().optional(),
      verdict: z.enum(VERDICT_KINDS).optional(),
      reason: text().optional(),
      note: z.string().max(MAX_TEXT_CHARS).optional(),
      mismatch: mismatch.optional(),
      previous: soldContext.optional(),
      attempt: attempt.optional(),
    } satisfies ShapeOf<RecordPayloads['alert']>),
    none,
    (p) => ({ codeKeys: p.codeKey === undefined ? [] : [p.codeKey], saleIds: [] }),
  ),
  receipt_printed: decoder(
    z.looseObject({
      saleId: text(),
      jobId: text().optional(),
    } satisfies ShapeOf<RecordPayloads['receipt_printed']>),
    none,
    (p) => ({ codeKeys: [], saleIds: [p.saleId] }),
  ),
  // Each accepted unit is `received` at the record's store; missing and rejected units imply nothing.
  receipt: decoder(
    z
      .looseObject({
        deliveryId: text(64),
        supplierId: text(64),
        outcome: z.enum(['complete', 'partial']),
        reason: text().optional(),
        expectedUnits: z.int().min(0).max(MAX_RECEIPT_UNITS),
        containers: z.array(codeKey()).max(MAX_RECEIPT_CONTAINERS),
        units: unitKeysByProduct,
        missing: z.looseObject({
          containers: z.array(codeKey()).max(MAX_RECEIPT_CONTAINERS),
          units: unitKeysByProduct,
        }),
        exceptions: z.array(receiptException).max(MAX_RECEIPT_UNITS),
      } satisfies ShapeOf<RecordPayloads['receipt']>)
      .refine((p) => p.outcome !== 'partial' || p.reason !== undefined, {
        path: ['reason'],
        message: 'a partial receipt needs its reason',
      }),
    (p) => keysOf(p.units).map((key) => ({ key, status: 'received' as const })),
    (p) => ({ codeKeys: keysOf(p.units), saleIds: [] }),
  ),
  // A stocktake only reports: its differences change stock once a manager accepts them.
  stocktake: decoder(
    z
      .looseObject({
        stocktakeId: text(64),
        scope: z.union([z.literal('all'), z.array(codeKey()).min(1).max(MAX_RECEIPT_CONTAINERS)]),
        startedAt: text(64),
        expected: z.int().min(0),
        found: z.int().min(0),
        missing: unitKeysByProduct,
        extra: z.looseObject({
          notReceived: unitKeysByProduct,
          sold: unitKeysByProduct,
          leftStock: unitKeysByProduct,
        } satisfies ShapeOf<RecordPayloads['stocktake']['extra']>),
        bad: z.array(stocktakeBad).max(MAX_RECEIPT_UNITS),
      } satisfies ShapeOf<RecordPayloads['stocktake']>)
      .superRefine((p, ctx) =>
        uniqueUnits(
          [
            ['missing', p.missing],
            ['extra.notReceived', p.extra.notReceived],
            ['extra.sold', p.extra.sold],
            ['extra.leftStock', p.extra.leftStock],
          ],
          ctx,
        ),
      ),
    none,
    (p) => ({
      codeKeys: [
        ...keysOf(p.missing),
        ...keysOf(p.extra.notReceived),
        ...keysOf(p.extra.sold),
        ...keysOf(p.extra.leftStock),
      ],
      saleIds: [],
    }),
  ),
  // Every listed unit leaves the store: destroyed, back with the supplier, or on its way to a store.
  stock_out: decoder(
    z
      .looseObject({
        shipmentId: text(64),
        kind: z.enum(STOCK_OUT_KINDS),
        reason: z.enum(STOCK_OUT_REASONS),
        note: text().optional(),
        approvedBy: text(),
        supplierId: text(64).optional(),
        toStoreId: text(64).optional(),
        containers: z.array(codeKey()).max(MAX_RECEIPT_CONTAINERS),
        units: unitKeysByProduct,
      } satisfies ShapeOf<RecordPayloads['stock_out']>)
      .superRefine((p, ctx) => {
        if (keysOf(p.units).length === 0)
          ctx.addIssue({ code: 'custom', path: ['units'], message: 'a stock_out lists at least one unit' });
        if (p.reason === 'other' && p.note === undefined)
          ctx.addIssue({ code: 'custom', path: ['note'], message: "reason 'other' needs a note" });
        if (p.kind === 'transfer' && p.toStoreId === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['toStoreId'],
            message: 'a transfer names the receiving store',
          });
        if (p.kind === 'return_to_supplier' && p.supplierId === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['supplierId'],
            message: 'a return to supplier names the supplier',
          });
        uniqueUnits([['units', p.units]], ctx);
      }),
    (p) => keysOf(p.units).map((key) => ({ key, status: STOCK_OUT_STATUS[p.kind] })),
    (p) => ({ codeKeys: keysOf(p.units), saleIds: [] }),
  ),
  // Accepted differences: `out` units are lost (leave stock), `in` units are found (enter stock).
  stock_adjustment: decoder(
    z
      .looseObject({
        stocktakeId: text(64),
        approvedBy: text(),
        reason: text(),
        out: unitKeysByProduct,
        in: unitKeysByProduct,
      } satisfies ShapeOf<RecordPayloads['stock_adjustment']>)
      .superRefine((p, ctx) => {
        if (keysOf(p.out).length + keysOf(p.in).length === 0)
          ctx.addIssue({ code: 'custom', path: ['out'], message: 'an adjustment lists at least one unit' });
        uniqueUnits(
          [
            ['out', p.out],
            ['in', p.in],
          ],
          ctx,
        );
      }),
    (p) => [
      ...keysOf(p.out).map((key) => ({ key, status: 'lost' as const })),
      ...keysOf(p.in).map((key) => ({ key, status: 'found' as const })),
    ],
    (p) => ({ codeKeys: [...keysOf(p.out), ...keysOf(p.in)], saleIds: [] }),
  ),
} satisfies { [T in RecordType]: RecordDecoder<RecordPayloads[T]> };

/** A payload its record type's decoder accepted, with the unit state changes it implies. */
export type DecodedPayload = {
  [T in RecordType]: {
    ok: true;
    type: T;
    payload: RecordPayloads[T];
    unitChanges: UnitStateChange[];
    refs: RecordRefs;
  };
}[RecordType];

/** Why a payload could not be decoded: `path` names the offending field (`lines[2].codeKey`). */
export interface DecodeFailure {
  ok: false;
  code: 'unknown_record_type' | 'payload_invalid';
  path: string;
  message: string;
}

function isRecordType(type: string): type is RecordType {
  return Object.hasOwn(RECORD_DECODERS, type);
}

/** `['lines', 0, 'codeKey']` → `lines[0].codeKey`; the payload itself is `(payload)`. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(payload)' : out;
}

/**
 * Decodes a record's payload with its type's decoder. Expected outcomes are values: an unknown
 * type or a payload its decoder refuses comes back as a `DecodeFailure` naming the field.
 */
export function decodePayload(type: string, payload: unknown): DecodedPayload | DecodeFailure {
  if (!isRecordType(type)) {
    return {
      ok: false,
      code: 'unknown_record_type',
      path: 'type',
      message: `unknown record type '${type}'; expected one of ${Object.keys(RECORD_DECODERS).join(', ')}`,
    };
  }
  const decoder = RECORD_DECODERS[type] as RecordDecoder<unknown>;
  const parsed = decoder.schema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issuePath(issue.path);
    return { ok: false, code: 'payload_invalid', path, message: `${type} payload ${path}: ${issue.message}` };
  }
  return {
    ok: true,
    type,
    payload: parsed.data,
    unitChanges: decoder.unitChanges(parsed.data),
    refs: decoder.refs(parsed.data),
  } as DecodedPayload;
}

/**
 * The payload of a stored record of type `type`, decoded; a typed fault when the record is of
 * another type or its payload does not decode (the ledger holds something its own code cannot read).
 */
export function payloadOf<T extends RecordType>(
  record: { type: string; seq: number; payload: unknown },
  type: T,
): RecordPayloads[T] {
  const decoded = decodePayload(record.type, record.payload);
  if (!decoded.ok || decoded.type !== type) {
    const why = decoded.ok ? `it is a ${decoded.type} record` : decoded.message;
    throw new VeritermError(
      'ledger_payload_invalid',
      `Record ${record.seq}: expected a ${type} record, but ${why}`,
    );
  }
  return decoded.payload as RecordPayloads[T];
}
