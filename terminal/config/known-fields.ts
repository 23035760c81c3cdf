import type { z } from 'zod';

// zod reports an unknown key with the object's path only, not what the object allows. These walk
// the config schema to that object (through arrays, defaults, and a discriminated union's member
// for the value's `type`/`transport`), so the error can list the allowed fields and the one meant.

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  values?: unknown[];
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schema's field names at `path` in `value`, or undefined when the path leads elsewhere. */
export function fieldsAt(
  schema: z.ZodType,
  path: readonly PropertyKey[],
  value: unknown,
): string[] | undefined {
  const def = defOf(schema);
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
      return fieldsAt(def.innerType!, path, value);
    case 'pipe':
      return fieldsAt(def.in!, path, value);
    case 'union': {
      const member = memberFor(def, value);
      return member ? fieldsAt(member, path, value) : undefined;
    }
    case 'object': {
      if (path.length === 0) return Object.keys(def.shape!);
      const key = String(path[0]);
      const field = def.shape![key];
      return field ? fieldsAt(field, path.slice(1), child(value, key)) : undefined;
    }
    case 'array':
      return path.length === 0 ? undefined : fieldsAt(def.element!, path.slice(1), child(value, path[0]!));
    default:
      return undefined;
  }
}

/** The member of a discriminated union that `value`'s discriminator selects. */
function memberFor(def: Def, value: unknown): z.ZodType | undefined {
  if (!def.discriminator) return undefined;
  const tag = child(value, def.discriminator);
  return def.options!.find((option) => {
    const field = defOf(option).shape?.[def.discriminator!];
    return field !== undefined && (defOf(field).values ?? []).includes(tag);
  });
}

function child(value: unknown, key: PropertyKey): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<PropertyKey, unknown>)[key]
    : undefined;
}

/** The field `key` was probably meant as: same letters in another case, or at most two edits away. */
export function closestField(key: string, fields: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameCase = fields.find((f) => f.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: { field: string; distance: number } | undefined;
  for (const field of fields) {
    const distance = editDistance(lower, field.toLowerCase());
    if (distance <= 2 && distance < key.length && (!best || distance < best.distance))
      best = { field, distance };
  }
  return best?.field;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps (prot → port). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
