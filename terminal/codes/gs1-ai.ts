import { DIGIT, SET39, SET64, SET82 } from './charset.js';
import { AI_TABLE } from './gs1-ai-table.js';

/** Character class of a component: N digits, X set 82, Y set 39, Z set 64. */
export type AiCharClass = 'N' | 'X' | 'Y' | 'Z';
export type AiDateKind = 'yymmd0' | 'yymmdd' | 'yymmddhhmm';

export interface AiComponent {
  cls: AiCharClass;
  min: number;
  max: number;
  /** Ends in a GS1 mod-10 check digit. */
  checkDigit: boolean;
  /** Lookup of allowed ASCII codes for `cls` (1 = allowed). */
  table: Uint8Array;
  date?: AiDateKind;
}

export interface AiDefinition {
  ai: string;
  title: string;
  components: AiComponent[];
  /** Total value length bounds. */
  minLength: number;
  maxLength: number;
  /**
   * Predefined length (GS1 GenSpec §7.8.5 Figure 7.8.5-2): the value has a fixed length known
   * from the AI's first two digits, so no GS separator follows it.
   */
  predefined: boolean;
  /** Human-readable format, e.g. `N14` or `X..20`, for messages. */
  format: string;
}

/** First two digits of the AIs whose length is predefined (no GS needed), GenSpec §7.8.5. */
const PREDEFINED_PREFIXES = new Set([
  '00',
  '01',
  '02',
  '03',
  '04',
  '11',
  '12',
  '13',
  '14',
  '15',
  '16',
  '17',
  '18',
  '19',
  '20',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '41',
]);

function parseComponent(spec: string, ai: string): AiComponent {
  const [shape = '', ...flags] = spec.split(',');
  const m = /^([NXYZ])(\d*)(\.\.)?(\d*)$/.exec(shape);
  if (!m) throw new Error(`AI table: bad component '${spec}' for AI ${ai}`);
  const cls = m[1] as AiCharClass;
  const ranged = m[3] === '..';
  const first = m[2] === '' ? undefined : Number(m[2]);
  const last = m[4] === '' ? undefined : Number(m[4]);
  const min = ranged ? (first ?? 1) : (first ?? 0);
  const max = ranged ? (last ?? 0) : (first ?? 0);
  const table = { N: DIGIT, X: SET82, Y: SET39, Z: SET64 }[cls];
  const component: AiComponent = { cls, min, max, checkDigit: flags.includes('csum'), table };
  const date = flags.find((f) => f.startsWith('yymm')) as AiDateKind | undefined;
  if (date) component.date = date;
  return component;
}

function compile(): Map<string, AiDefinition> {
  const table = new Map<string, AiDefinition>();
  for (const line of AI_TABLE.split('\n')) {
    if (line.trim() === '') continue;
    const [range = '', format = '', ...titleWords] = line.split(' ');
    const [from = '', to = from] = range.split('-');
    const components = format.split('+').map((c) => parseComponent(c, from));
    const minLength = components.reduce((s, c) => s + c.min, 0);
    const maxLength = components.reduce((s, c) => s + c.max, 0);
    for (let n = Number(from); n <= Number(to); n++) {
      const ai = String(n).padStart(from.length, '0');
      table.set(ai, {
        ai,
        title: titleWords.join(' '),
        components,
        minLength,
        maxLength,
        predefined: PREDEFINED_PREFIXES.has(ai.slice(0, 2)) && minLength === maxLength,
        format: format.replace(/,[a-z0-9]+/g, ''),
      });
    }
  }
  return table;
}

/** Every AI, keyed by its digits. */
export const AI_DEFINITIONS: ReadonlyMap<string, AiDefinition> = compile();

// Flat lookups by numeric value, one per AI length, so the parser never allocates to find an AI.
// GS1 AIs are prefix-free (no AI is a prefix of another), so at most one of the three matches.
const BY_LENGTH: Array<Array<AiDefinition | undefined>> = [
  [],
  [],
  new Array(100),
  new Array(1000),
  new Array(10000),
];
for (const def of AI_DEFINITIONS.values()) BY_LENGTH[def.ai.length]![Number(def.ai)] = def;

/** The AI that starts at `text[pos]`, or undefined when no AI of 2–4 digits matches there. */
export function aiAt(text: string, pos: number): AiDefinition | undefined {
  let n = 0;
  for (let len = 1; len <= 4; len++) {
    const c = text.charCodeAt(pos + len - 1);
    if (!(c >= 48 && c <= 57)) return undefined;
    n = n * 10 + (c - 48);
    if (len >= 2) {
      const def = BY_LENGTH[len]![n];
      if (def) return def;
    }
  }
  return undefined;
}

/** Definition of one AI by its digits. */
export function aiDefinition(ai: string): AiDefinition | undefined {
  return AI_DEFINITIONS.get(ai);
}
