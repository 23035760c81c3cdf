import { VeritermError } from '../errors.js';
import { aiDefinition } from './gs1-ai.js';
import type { ParsedCode } from './types.js';

export interface FormatElementStringOptions {
  /** What to put between fields: a GS (0x1D) by default, or e.g. `'<GS>'` for display. */
  gs?: string;
  /** Prefix an AIM identifier, e.g. `']d2'`. @default no prefix */
  aim?: string;
  /** Human-readable form `(01)…(21)…` instead of GS-separated. @default false */
  bracketed?: boolean;
}

/** AIs of a parsed GS1 code in encoding order: 01, other predefined-length AIs, then the rest. */
function orderedAis(parsed: ParsedCode): Array<[string, string]> {
  const gtin = parsed.gtin ?? parsed.attributes['01'];
  if (gtin === undefined) {
    throw new VeritermError('not_gs1', `cannot format a ${parsed.kind} code as GS1: it has no GTIN`);
  }
  const fixed: Array<[string, string]> = [];
  const variable: Array<[string, string]> = [];
  const all: Record<string, string> = { ...parsed.attributes };
  if (parsed.serial !== undefined && parsed.kind === 'gs1') all['21'] = parsed.serial;
  if (parsed.batch !== undefined && all['10'] === undefined) all['10'] = parsed.batch;
  for (const ai of Object.keys(all).sort()) {
    if (ai === '01') continue;
    const entry: [string, string] = [ai, all[ai]!];
    (aiDefinition(ai)?.predefined ? fixed : variable).push(entry);
  }
  return [['01', gtin], ...fixed, ...variable];
}

/**
 * A parsed code as a GS1 element string (GenSpec §7.8.5): predefined-length AIs first, then
 * variable-length ones separated by GS, none after the last. A cn20 code is its 20 digits.
 */
export function formatElementString(parsed: ParsedCode, options: FormatElementStringOptions = {}): string {
  if (parsed.kind === 'cn20') return (options.aim ?? '') + parsed.key;
  const fields = orderedAis(parsed);
  if (options.bracketed) return (options.aim ?? '') + fields.map(([ai, v]) => `(${ai})${v}`).join('');
  const gs = options.gs ?? '\x1d';
  let out = options.aim ?? '';
  fields.forEach(([ai, value], i) => {
    out += ai + value;
    if (i < fields.length - 1 && !aiDefinition(ai)?.predefined) out += gs;
  });
  return out;
}

/** Percent-encodes every character GS1 Digital Link 1.4 §6.5 requires (set 82 punctuation). */
export function encodeDigitalLinkValue(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const QUALIFIERS = ['22', '10', '21'];

/**
 * A parsed GS1 code as a Digital Link URI: `/01/{GTIN-14}` then qualifiers 22, 10, 21 in that
 * order, every other AI as a query attribute. Throws VeritermError('not_gs1') for cn20 codes.
 */
export function toDigitalLink(parsed: ParsedCode, domain = 'https://id.gs1.org'): string {
  if (parsed.kind === 'cn20') {
    throw new VeritermError('not_gs1', 'a 20-digit supervision code has no GS1 Digital Link form');
  }
  const fields = orderedAis(parsed);
  let path = domain.replace(/\/+$/, '');
  const query: string[] = [];
  const byAi = new Map(fields);
  path += `/01/${byAi.get('01')}`;
  for (const q of QUALIFIERS) {
    const v = byAi.get(q);
    if (v !== undefined) path += `/${q}/${encodeDigitalLinkValue(v)}`;
  }
  for (const [ai, v] of fields) {
    if (ai !== '01' && !QUALIFIERS.includes(ai)) query.push(`${ai}=${encodeDigitalLinkValue(v)}`);
  }
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}
