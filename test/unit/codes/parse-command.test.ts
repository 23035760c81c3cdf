import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

function capture(stdinText?: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += c;
  });
  stderr.on('data', (c) => {
    err += c;
  });
  if (stdinText !== undefined) stdin.end(stdinText);
  return { io: { stdout, stderr, stdin }, out: () => out, err: () => err };
}

describe('veriterm parse', () => {
  it('is listed in --help', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^\s+parse\s+/m);
  });

  it('prints the key and fields of each argument and exits 0 when all parse', async () => {
    const c = capture();
    const code = await main(
      ['parse', ']d201095060001343521720122510ABC123<GS>2112345', '69012345678901234567'],
      c.io,
    );
    expect(code).toBe(0);
    expect(c.out()).toContain('ok gs1 01095060001343522112345');
    expect(c.out()).toContain('gtin=09506000134352 serial=12345 batch=ABC123 expiry=2020-12-25 aim=]d2');
    expect(c.out()).toContain('ok cn20 69012345678901234567');
  });

  it('exits 1 when any input fails, naming the error', async () => {
    const c = capture();
    expect(await main(['parse', '4006381333931', '4006381333932'], c.io)).toBe(1);
    expect(c.out()).toContain('error bad_check_digit  4006381333932');
    expect(c.out()).toContain('check digit is 2, expected 1');
  });

  it('--json prints one wire-format object per input', async () => {
    const c = capture();
    expect(await main(['parse', '--json', '96385074', 'nope'], c.io)).toBe(1);
    const lines = c
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ status: 'ok', data: { kind: 'gtin', key: '0100000096385074' } });
    expect(lines[1]).toMatchObject({ status: 'error', error: { code: 'unrecognised' } });
  });

  it('reads one input per stdin line when no data is given (CRLF suffixes, raw GS)', async () => {
    const c = capture('0109506000134352211\x1d91X\r\n\nhttps://id.gs1.org/01/09506000134352/21/2\r\n');
    expect(await main(['parse', '--json'], c.io)).toBe(0);
    const keys = c
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).data.key);
    expect(keys).toEqual(['0109506000134352211', '0109506000134352212']);
  });

  it('--help prints the usage and exits 0', async () => {
    const c = capture();
    expect(await main(['parse', '--help'], c.io)).toBe(0);
    expect(c.out()).toContain('Usage: veriterm parse [--json] [--gs CHAR]');
  });

  it('--gs sets a substitute separator', async () => {
    const c = capture();
    expect(await main(['parse', '--gs', '|', '010950600013435210A|21B'], c.io)).toBe(0);
    expect(c.out()).toContain('ok gs1 010950600013435221B');
  });

  it.each([
    [['parse', '--bogus'], '--bogus'],
    [['parse', '--gs', '12', 'x'], 'expected --gs to be 1 to 8 characters without digits'],
    [['parse', '--gs'], '--gs'],
  ])('exits 2 on bad flags %j', async (argv, message) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err()).toContain(message);
  });

  it('runs as a real process: node bin/veriterm.js parse (stdin, --json, exit 1 on a failure)', () => {
    const run = spawnSync(process.execPath, ['bin/veriterm.js', 'parse', '--json'], {
      cwd: root,
      input: '(01)09506000134352(21)A1\r\nПривет\n',
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    const [ok, bad] = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ok).toMatchObject({ status: 'ok', data: { key: '010950600013435221A1' } });
    expect(bad).toMatchObject({ status: 'error', error: { code: 'bad_character' } });
    expect(bad.error.message).toContain('keyboard-layout mismatch');
  });
});
