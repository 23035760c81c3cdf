import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createPrinter,
  FakePrinter,
  FilePrinter,
  NetworkPrinter,
  printerOptionsSchema,
} from '../../../drivers/printer/index.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('createPrinter and printerOptionsSchema', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('fills defaults and builds the adapter the transport names', () => {
    expect(printerOptionsSchema.parse({ transport: 'network', host: '10.0.0.9' })).toMatchObject({
      id: 'receipt',
      port: 9100,
      profile: 'generic',
      pollIntervalMs: 2000,
    });
    expect(createPrinter({ transport: 'network', host: '127.0.0.1' })).toBeInstanceOf(NetworkPrinter);
    expect(createPrinter({ transport: 'fake', id: 'demo' })).toBeInstanceOf(FakePrinter);
    expect(createPrinter({ transport: 'file', path: '/tmp/x.bin' })).toBeInstanceOf(FilePrinter);
  });

  it('reports every bad field with its path', () => {
    const result = printerOptionsSchema.safeParse({ transport: 'network', host: '', port: 70_000 });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['host', 'port']));
    expect(printerOptionsSchema.safeParse({ transport: 'bluetooth' }).success).toBe(false);
  });

  it('file transport appends the bytes and reports online', async () => {
    const temp = makeTempDir();
    cleanups.push(temp.cleanup);
    const path = join(temp.dir, 'out.escpos');
    const printer = createPrinter({ transport: 'file', path });
    cleanups.push(() => printer.stop());
    await printer.start();
    await printer.write(Uint8Array.of(0x1b, 0x40));
    await printer.write(Uint8Array.of(0x41, 0x0a));
    expect(readFileSync(path).toString('hex')).toBe('1b40410a');
    expect(await printer.status()).toMatchObject({ online: true });
  });

  it('the in-memory fake printer prints, runs out of paper and comes back after unplug', async () => {
    const printer = new FakePrinter('demo', { pollIntervalMs: 20 });
    cleanups.push(() => printer.stop());
    await printer.start();
    await printer.write(Uint8Array.of(0x48, 0x69, 0x0a, 0x1d, 0x56, 0x00));
    expect(printer.device.receipts[0]!.lines).toEqual(['Hi']);
    printer.setState({ paperOut: true });
    expect(await printer.status()).toMatchObject({ paperOut: true });
    printer.unplug();
    expect(await printer.status()).toMatchObject({ online: false });
    await expect(printer.write(Uint8Array.of(0x0a))).rejects.toMatchObject({ code: 'printer_offline' });
    printer.plug();
    printer.setState({ paperOut: false });
    await expect.poll(() => printer.currentStatus?.online, { timeout: 2000 }).toBe(true);
  });
});
