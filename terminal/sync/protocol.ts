import { deflateSync, inflateSync } from 'node:zlib';
import { z } from 'zod';
import { RECORD_TYPES as LEDGER_RECORD_TYPES, type LedgerRecord } from '../ledger/types.js';

/**
 * Wire messages between terminal and upstream. Shared by terminal/sync and upstream/ so both ends
 * parse with the same zod schemas; every downlink message is parsed, never trusted.
 * Payloads are JSON; a record batch may be zlib-deflated (RFC 1950: first byte 0x78, where JSON
 * starts with `{` = 0x7b), which works on MQTT 3.1.1 too (no content-type property there).
 */
export const PROTOCOL_VERSION = 1;

/**
 * Version of the record batch a terminal sends (its `v`). 2 is the columnar batch
 * (`compactBatchSchema`); upstream still reads version 1 (`recordBatchSchema`, whole records) from
 * terminals not yet updated, and refuses any other version with an error naming it.
 */
export const RECORD_BATCH_VERSION = 2;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const ledgerRecordSchema = z.object({
  id: z.string().min(1).max(64),
  seq: z.number().int().positive(),
  type: z.enum(LEDGER_RECORD_TYPES),
  at: z.string().min(1).max(40),
  storeId: z.string().min(1).max(64),
  terminalId: z.string().min(1).max(64),
  payload: z.record(z.string(), z.unknown()),
  prevHash: hex64,
  hash: hex64,
  signature: z.string().min(1).max(200),
});

/** Version 1 record batch: whole ledger records, as the ledger holds them. */
export const recordBatchSchema = z.object({
  v: z.literal(1),
  /** Stable id: `{terminal}:{firstSeq}-{lastSeq}`; a resend of the same rows has the same id. */
  batchId: z.string().min(1).max(200),
  storeId: z.string().min(1).max(64),
  terminalId: z.string().min(1).max(64),
  records: z.array(ledgerRecordSchema).min(1),
});
export type RecordBatch = Omit<z.infer<typeof recordBatchSchema>, 'records'> & { records: LedgerRecord[] };

/**
 * Version 2 record batch: consecutive records as columns, without what upstream derives itself.
 * Record `i` has `seq = firstSeq + i`, the batch's `storeId`/`terminalId`, `prevHash` = the hash
 * of record `i - 1` (of the batch's `prevHash` for `i = 0`) and `hash` = the record's canonical
 * hash, which upstream recomputes from these values (it never trusted a sent hash anyway): a record
 * altered on the way fails its signature check (`bad_signature`) instead of a hash comparison.
 */
export const compactBatchSchema = z
  .object({
    v: z.literal(2),
    /** Stable id: `{terminal}:{firstSeq}-{lastSeq}`; a resend of the same rows has the same id. */
    batchId: z.string().min(1).max(200),
    storeId: z.string().min(1).max(64),
    terminalId: z.string().min(1).max(64),
    firstSeq: z.number().int().positive(),
    /** Hash of the record before the first (all zeros before seq 1). */
    prevHash: hex64,
    ids: z.array(z.string().min(1).max(64)).min(1),
    types: z.array(ledgerRecordSchema.shape.type),
    ats: z.array(z.string().min(1).max(40)),
    payloads: z.array(z.record(z.string(), z.unknown())),
    /** base64 Ed25519 signatures over each record's hash. */
    sigs: z.array(z.string().min(1).max(200)),
  })
  .refine((b) => [b.types, b.ats, b.payloads, b.sigs].every((c) => c.length === b.ids.length), {
    message: 'every column has one entry per record',
  });
export type CompactBatch = z.infer<typeof compactBatchSchema>;

/** The ledger's own list (one decoder each, record-decoders.ts): a batch naming another type is refused. */
const RECORD_TYPES: ReadonlySet<string> = new Set(LEDGER_RECORD_TYPES);
const HEX64 = /^[0-9a-f]{64}$/;
const str = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;

export type ParsedRecordBatch =
  | { ok: true; batch: RecordBatch }
  | { ok: true; batch: CompactBatch }
  | { ok: false; error: string };

/**
 * Validates a record batch of either version as `recordBatchSchema` / `compactBatchSchema` do, by
 * hand: ingest runs this for every record at upstream, where a generic schema walk costs more than
 * hashing the record (see the sync bench). Returns the batch, or the first problem as text.
 */
export function parseRecordBatch(body: unknown): ParsedRecordBatch {
  if (typeof body !== 'object' || body === null) return { ok: false, error: 'batch is not an object' };
  const b = body as Record<string, unknown>;
  if (b.v !== 1 && b.v !== 2) {
    return {
      ok: false,
      error: `v: record batch version ${JSON.stringify(b.v)} is not supported (expected 1 or 2)`,
    };
  }
  if (!str(b.batchId, 200) || !str(b.storeId, 64) || !str(b.terminalId, 64)) {
    return { ok: false, error: 'batchId, storeId, terminalId: expected non-empty strings' };
  }
  return b.v === 1 ? parseV1(b) : parseV2(b);
}

function parseV1(b: Record<string, unknown>): ParsedRecordBatch {
  if (!Array.isArray(b.records) || b.records.length === 0)
    return { ok: false, error: 'records: expected a non-empty array' };
  // No closure per record: this loop runs for every record upstream ingests.
  const bad = (i: number, field: string) => ({
    ok: false as const,
    error: `records[${i}].${field} is invalid`,
  });
  for (let i = 0; i < b.records.length; i++) {
    const r = b.records[i] as Record<string, unknown> | null;
    if (typeof r !== 'object' || r === null) return bad(i, '(record)');
    if (!str(r.id, 64)) return bad(i, 'id');
    if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1) return bad(i, 'seq');
    if (typeof r.type !== 'string' || !RECORD_TYPES.has(r.type)) return bad(i, 'type');
    if (!str(r.at, 40)) return bad(i, 'at');
    if (!str(r.storeId, 64)) return bad(i, 'storeId');
    if (!str(r.terminalId, 64)) return bad(i, 'terminalId');
    if (typeof r.payload !== 'object' || r.payload === null || Array.isArray(r.payload))
      return bad(i, 'payload');
    if (typeof r.prevHash !== 'string' || !HEX64.test(r.prevHash)) return bad(i, 'prevHash');
    if (typeof r.hash !== 'string' || !HEX64.test(r.hash)) return bad(i, 'hash');
    if (!str(r.signature, 200)) return bad(i, 'signature');
  }
  return { ok: true, batch: b as unknown as RecordBatch };
}

function parseV2(b: Record<string, unknown>): ParsedRecordBatch {
  if (typeof b.firstSeq !== 'number' || !Number.isSafeInteger(b.firstSeq) || b.firstSeq < 1)
    return { ok: false, error: 'firstSeq: expected a positive integer' };
  if (typeof b.prevHash !== 'string' || !HEX64.test(b.prevHash))
    return { ok: false, error: 'prevHash: expected 64 hex digits' };
  const { ids, types, ats, payloads, sigs } = b;
  if (!Array.isArray(ids) || ids.length === 0) return { ok: false, error: 'ids: expected a non-empty array' };
  const n = ids.length;
  if (!Number.isSafeInteger(b.firstSeq + n)) return { ok: false, error: 'firstSeq: out of range' };
  for (const [name, column] of [
    ['types', types],
    ['ats', ats],
    ['payloads', payloads],
    ['sigs', sigs],
  ] as const) {
    if (!Array.isArray(column) || column.length !== n)
      return { ok: false, error: `${name}: expected an array of ${n} entries, as ids` };
  }
  const bad = (field: string, i: number) => ({ ok: false as const, error: `${field}[${i}] is invalid` });
  const t = types as unknown[];
  const a = ats as unknown[];
  const p = payloads as unknown[];
  const s = sigs as unknown[];
  for (let i = 0; i < n; i++) {
    if (!str(ids[i], 64)) return bad('ids', i);
    const type = t[i];
    if (typeof type !== 'string' || !RECORD_TYPES.has(type)) return bad('types', i);
    if (!str(a[i], 40)) return bad('ats', i);
    const payload = p[i];
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return bad('payloads', i);
    if (!str(s[i], 200)) return bad('sigs', i);
  }
  return { ok: true, batch: b as unknown as CompactBatch };
}

export const ackSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  /** Highest sequence upstream has persisted with every lower one (0 = none). */
  ackSeq: z.number().int().nonnegative(),
  /** Set when upstream refused records: the terminal keeps them and health shows the reason. */
  problem: z.object({ code: z.string().max(64), seq: z.number().int().nonnegative() }).optional(),
  /** Upstream's clock when it sent the ack (ISO time): live acks measure the terminal's clock skew. */
  at: z.string().max(40).optional(),
});
export type Ack = z.infer<typeof ackSchema>;

export const commandNameSchema = z.enum(['sync_now', 'rebirth', 'reload_config', 'request_logs', 'health']);
export type CommandName = z.infer<typeof commandNameSchema>;

export const commandSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  /** Unique nonce (ULID); a terminal runs each id at most once. */
  id: z.string().min(8).max(64),
  name: commandNameSchema,
  args: z.record(z.string(), z.unknown()).default({}),
  target: z.object({ storeId: z.string(), terminalId: z.string() }),
  issuedAt: z.string().datetime(),
  expiresAt: z.string().datetime(),
  /** Key id of the upstream command key that signed it. */
  keyId: z.string().max(64).optional(),
  /** base64 Ed25519 signature over canonicalJson(command without `sig`). */
  sig: z.string().min(1).max(200),
});
export type SignedCommand = z.infer<typeof commandSchema>;

export interface CommandResult {
  v: typeof PROTOCOL_VERSION;
  id: string;
  name: string;
  at: string;
  result: { status: 'ok'; data: unknown } | { status: 'error'; error: { code: string; message: string } };
}

/**
 * A terminal's answer to a delivery note it got on `deliveries` (terminal/receiving), published on
 * `deliveries/result` so the sender knows: `accepted` (stored, `units` on it), `already_imported`
 * (the same delivery under a new message id: nothing changed) or `refused` with the named code
 * (terminal/receiving/import-note.ts NOTE_REFUSAL_CODES); a refused note left nothing behind.
 */
export const deliveryOutcomeSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  /** The note message's id (its nonce), as sent. */
  id: z.string().min(1).max(64),
  deliveryId: z.string().min(1).max(64).optional(),
  at: z.string().min(1).max(40),
  status: z.enum(['accepted', 'already_imported', 'refused']),
  units: z.number().int().nonnegative().optional(),
  code: z.string().min(1).max(64).optional(),
  message: z.string().max(500).optional(),
});
export type DeliveryOutcome = z.infer<typeof deliveryOutcomeSchema>;

const fileRefSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/),
  size: z.number().int().nonnegative(),
  sha256: hex64,
  chunkSize: z.number().int().positive(),
  /** SHA-256 of every chunk, in order: each chunk is checked before it is written. */
  chunks: z.array(hex64),
});
export type FileRef = z.infer<typeof fileRefSchema>;

export const releaseRefSchema = z.object({
  /** `snapshot-{version}` or `delta-{from}-{to}`. */
  id: z.string().regex(/^(snapshot-\d+|delta-\d+-\d+)$/),
  kind: z.enum(['snapshot', 'delta']),
  from: z.number().int().nonnegative().optional(),
  version: z.number().int().nonnegative(),
  files: z.array(fileRefSchema).min(1).max(16),
});
export type ReleaseRef = z.infer<typeof releaseRefSchema>;

/** Retained on vt/registry/{scope}/manifest. The signed registry manifest itself is one of the files. */
export const announcementSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  scope: z.string().min(1).max(64),
  version: z.number().int().nonnegative(),
  publishedAt: z.string(),
  snapshot: releaseRefSchema.optional(),
  deltas: z.array(releaseRefSchema).max(10_000),
});
export type Announcement = z.infer<typeof announcementSchema>;

export const registryRequestSchema = z.discriminatedUnion('op', [
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    op: z.literal('chunk'),
    scope: z.string(),
    release: z.string(),
    file: z.string(),
    index: z.number().int().nonnegative(),
    replyTo: z.string(),
    correlation: z.string(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    op: z.literal('announcement'),
    scope: z.string(),
    replyTo: z.string(),
    correlation: z.string(),
  }),
]);
export type RegistryRequest = z.infer<typeof registryRequestSchema>;

/** Deterministic JSON: object keys sorted, no whitespace. What command signatures cover. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function encodeJson(value: unknown, deflate = false): Buffer {
  const json = Buffer.from(JSON.stringify(value));
  return deflate ? deflateSync(json, { level: 1 }) : json;
}

/** Parses a JSON (or zlib-deflated JSON) payload; throws on anything else. Caller bounds the size first. */
export function decodeJson(payload: Buffer, maxInflatedBytes: number): unknown {
  const raw = payload[0] === 0x78 ? inflateSync(payload, { maxOutputLength: maxInflatedBytes }) : payload;
  return JSON.parse(raw.toString('utf8'));
}

/**
 * Response frame for request/response: u32 header length, JSON header, binary body. The header
 * repeats the correlation so the exchange also works on MQTT 3.1.1 (no correlation data there).
 */
export interface ResponseHeader {
  correlation: string;
  status: 'ok' | 'error';
  error?: { code: string; message: string };
  sha256?: string;
}

export function encodeFrame(header: ResponseHeader, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length);
  return Buffer.concat([len, head, body]);
}

export function decodeFrame(payload: Buffer): { header: ResponseHeader; body: Buffer } {
  if (payload.length < 4) throw new Error('frame shorter than its length prefix');
  const len = payload.readUInt32BE(0);
  if (len > 4096 || 4 + len > payload.length) throw new Error(`frame header length ${len} out of range`);
  const header = JSON.parse(payload.subarray(4, 4 + len).toString('utf8')) as ResponseHeader;
  if (typeof header.correlation !== 'string') throw new Error('frame header without correlation');
  return { header, body: payload.subarray(4 + len) };
}
