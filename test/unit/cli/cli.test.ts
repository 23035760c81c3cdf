import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => {
    out += c;
  });
  stderr.on('data', (c) => {
    err += c;
  });
  return { io: { stdout, stderr, stdin: new PassThrough() }, out: () => out, err: () => err };
}

describe('veriterm CLI', () => {
  it('lists commands on --help and exits 0', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out()).toContain('Usage: veriterm <command>');
  });

  it('exits 2 naming an unknown command', async () => {
    const c = capture();
    expect(await main(['frobnicate'], c.io)).toBe(2);
    expect(c.err()).toContain("unknown command 'frobnicate'");
  });

  it('prints the package version', async () => {
    const c = capture();
    expect(await main(['--version'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 on a bad flag to --version', async () => {
    const c = capture();
    expect(await main(['--version', '--bogus'], c.io)).toBe(2);
    expect(c.err()).toContain('--bogus');
  });
});

describe('nested command tables', () => {
  it('prints each group’s own table on --help, and on no argument (exit 2)', async () => {
    const registry = capture();
    expect(await main(['registry', '--help'], registry.io)).toBe(0);
    expect(registry.out()).toContain('Usage: veriterm registry <command> [options]');
    // A group marked expandInHelp is listed by its commands.
    expect(registry.out()).toMatch(/^ {2}root init +create root metadata version 1$/m);
    expect(registry.out()).toMatch(/^ {2}keygen +generate an Ed25519 signing key/m);

    const root = capture();
    expect(await main(['registry', 'root'], root.io)).toBe(2);
    expect(root.out()).toContain('Usage: veriterm registry root <command> [options]');
    expect(root.out()).toMatch(/^ {2}rotate +create root metadata N\+1/m);

    const ledger = capture();
    expect(await main(['ledger', '-h'], ledger.io)).toBe(0);
    expect(ledger.out()).toContain('Usage: veriterm ledger <command> [options]');
    expect(ledger.out()).toMatch(/^ {2}recover +/m);

    const upstream = capture();
    expect(await main(['upstream', 'help'], upstream.io)).toBe(0);
    expect(upstream.out()).toContain('Usage: veriterm upstream <command> [options]');
    expect(upstream.out()).toMatch(/^ {2}acl +print the broker's mosquitto ACL file/m);
  });

  it('runs a leaf’s own --help below a group: upstream acl --help is the ACL usage, not the general help', async () => {
    const acl = capture();
    expect(await main(['upstream', 'acl', '--help'], acl.io)).toBe(0);
    expect(acl.out()).toMatch(/^Usage: veriterm upstream acl \[--scope S…\] \[--username NAME\]/);
    expect(acl.out()).not.toContain('Commands:');
    expect(acl.out()).not.toContain('--broker');

    const rotate = capture();
    expect(await main(['registry', 'root', 'rotate', '--help'], rotate.io)).toBe(0);
    expect(rotate.out()).toContain('veriterm registry root rotate');
  });

  it('names the unknown subcommand, its group and the choices (exit 2)', async () => {
    const c = capture();
    expect(await main(['registry', 'root', 'grow'], c.io)).toBe(2);
    expect(c.err()).toBe(
      "veriterm registry root: unknown subcommand 'grow'. Expected one of: 'init' or 'rotate'\n",
    );
    const top = capture();
    expect(await main(['frobnicate'], top.io)).toBe(2);
    expect(top.err()).toContain("Expected one of: 'devices', 'demo',");
  });

  it('a group’s default command takes arguments that start with a flag: upstream --data D is upstream run', async () => {
    const c = capture();
    expect(await main(['upstream', '--data', 'somewhere'], c.io)).toBe(2);
    expect(c.err()).toContain('veriterm upstream: missing --broker URL');
    expect(c.err()).toContain('Usage: veriterm upstream [run] --broker URL');
    const flag = capture();
    expect(await main(['upstream', '--bogus'], flag.io)).toBe(2);
    expect(flag.err()).toContain('veriterm upstream run: ');
    expect(flag.err()).toContain('--bogus');
  });
});
