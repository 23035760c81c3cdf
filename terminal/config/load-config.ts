import { readFileSync } from 'node:fs';
import { VeritermError } from '../errors.js';
import { closestField, fieldsAt } from './known-fields.js';
import { type Config, configSchema } from './schema.js';

/** One bad field: where, what it was, what was expected. */
export interface ConfigIssue {
  path: string;
  value: string;
  expected: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

/** Environment variables that override config fields (zigbee2mqtt-style), applied before validation. */
export const ENV_OVERRIDES: Record<string, readonly string[]> = {
  PORT: ['http', 'port'],
  VERITERM_DATA: ['dataDir'],
};

/** Validates a parsed config object; every bad field is reported at once. */
export function validateConfig(input: unknown, env: NodeJS.ProcessEnv = {}): ConfigResult {
  const withEnv = applyEnv(input, env);
  const result = configSchema.safeParse(withEnv);
  if (result.success) return { ok: true, config: result.data };
  const issues = result.error.issues.flatMap((issue): ConfigIssue[] => {
    const base = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
    if (issue.code === 'unrecognized_keys') {
      const fields = fieldsAt(configSchema, base, withEnv) ?? [];
      return issue.keys.map((key) => ({
        path: label([...base, key], env),
        value: show(valueAt(withEnv, [...base, key])),
        expected: noSuchField(key, fields),
      }));
    }
    const message = issue.message.replace(/^(Invalid input|Invalid option|Too small|Too big): /, '');
    return [{ path: label(base, env), value: show(valueAt(withEnv, base)), expected: message }];
  });
  return { ok: false, issues };
}

/** Reads and validates a JSON config file. Unreadable files are faults; bad content is a result. */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new VeritermError('config_unreadable', `cannot read config file ${file}`, { cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, issues: [{ path: '(file)', value: file, expected: `valid JSON (${why})` }] };
  }
  return validateConfig(parsed, env);
}

/** "  http.port: got 70000; expected number to be <=65535" lines for the CLI. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${i.path}: got ${i.value}; ${i.expected}`).join('\n');
}

/** What an unknown field's error says: the field meant, when one is close, and the fields allowed there. */
function noSuchField(key: string, fields: readonly string[]): string {
  const meant = closestField(key, fields);
  const allowed = fields.length > 0 ? `; allowed here: ${fields.join(', ')}` : '';
  return `no such field${meant ? ` (did you mean '${meant}'?)` : ''}${allowed} (docs/configuration.md)`;
}

/** `printers[0].port`: array indices in brackets, as the config file would be read. */
function label(path: readonly (string | number)[], env: NodeJS.ProcessEnv): string {
  const joined =
    path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('') ||
    '(root)';
  const envName = Object.entries(ENV_OVERRIDES).find(([, p]) => p.join('.') === joined)?.[0];
  return envName && env[envName] !== undefined ? `${joined} (from env ${envName})` : joined;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function applyEnv(input: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const out = structuredClone(input) as Record<string, unknown>;
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let node = out;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      if (typeof next !== 'object' || next === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[path.at(-1)!] = value;
  }
  return out;
}

function show(value: unknown): string {
  if (value === undefined) return '(missing)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
