import { createInterface } from 'node:readline';
import { parseCode } from '../../terminal/codes/index.js';
import type { ParseOptions, ParseResult } from '../../terminal/codes/types.js';
import { UsageError } from '../../terminal/errors.js';
import { type CommandIo, parseCommandOrHelp } from '../args.js';

const USAGE = `Usage: veriterm parse [--json] [--gs CHAR] [<data>…]

Reads each <data> argument (or, with none, each line of stdin) as one scan and prints the
canonical unit code or the reason it was rejected. Exit 1 if any input failed, 2 on bad flags.

  --json      one JSON object per input: {"status":"ok","data":…} or {"status":"error","error":…}
  --gs CHAR   extra stand-in for the GS separator (1–8 characters, no digits), e.g. --gs '~'
              (<GS>, \\u001d, \\x1d and ␝ are always understood)
  -h, --help  this text
`;

/** Printable form of a scan for the human output: control characters shown as <GS> etc. */
function shown(input: string): string {
  return input.replace(/[\x00-\x1f\x7f]/g, (c) =>
    c === '\x1d' ? '<GS>' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function humanLine(input: string, result: ParseResult): string {
  if (!result.ok) return `error ${result.error.code}  ${shown(input)}\n  ${result.error.message}\n`;
  const fields: string[] = [];
  if (result.gtin) fields.push(`gtin=${result.gtin}`);
  if (result.productCode) fields.push(`product=${result.productCode}`);
  if (result.serial !== undefined) fields.push(`serial=${shown(result.serial)}`);
  if (result.batch !== undefined) fields.push(`batch=${shown(result.batch)}`);
  if (result.expiry) fields.push(`expiry=${result.expiry}`);
  if (result.productionDate) fields.push(`production=${result.productionDate}`);
  if (result.aim) fields.push(`aim=${result.aim.raw}`);
  const extra = Object.keys(result.attributes)
    .filter((ai) => !['01', '10', '11', '17', '21'].includes(ai))
    .sort()
    .map((ai) => `(${ai})${shown(result.attributes[ai]!)}`);
  if (extra.length > 0) fields.push(`ai=${extra.join('')}`);
  return `ok ${result.kind} ${shown(result.key)}\n  ${fields.join(' ')}\n`;
}

function jsonLine(result: ParseResult): string {
  if (result.ok) return `${JSON.stringify({ status: 'ok', data: result })}\n`;
  const body = result.aim ? { ...result.error, aim: result.aim } : result.error;
  return `${JSON.stringify({ status: 'error', error: body })}\n`;
}

/** `veriterm parse`: prints what the code reader makes of each input. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandOrHelp(
    'parse',
    argv,
    {
      json: { type: 'boolean' },
      gs: { type: 'string' },
    },
    { usage: USAGE, io },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const options: ParseOptions = {};
  if (values.gs !== undefined) {
    if (values.gs.length < 1 || values.gs.length > 8 || /[0-9]/.test(values.gs)) {
      throw new UsageError(
        `veriterm parse: expected --gs to be 1 to 8 characters without digits, got '${values.gs}'`,
      );
    }
    options.gs = values.gs;
  }
  let failed = 0;
  const one = (input: string): void => {
    const result = parseCode(input, options);
    if (!result.ok) failed++;
    io.stdout.write(values.json ? jsonLine(result) : humanLine(input, result));
  };
  if (positionals.length > 0) {
    for (const input of positionals) one(input);
  } else {
    const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line.trim() !== '') one(line);
    }
  }
  return failed > 0 ? 1 : 0;
}
