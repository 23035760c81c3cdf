import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../../drivers/fingerprints.js';
import { createPrinter } from '../../../drivers/printer/factory.js';
import { FakeUsbPrinterDevice } from '../../../drivers/printer/fake-usb-device.js';
import { parseStatus } from '../../../drivers/printer/status.js';
import type { StreamPrinter } from '../../../drivers/printer/stream-printer.js';
import { getProfile } from '../../../terminal/receipts/profiles.js';
import { renderReceipt } from '../../../terminal/receipts/render-escpos.js';
import { loadFixtures } from '../scanner/device-fixtures.js';

interface StatusFixture {
  kind: 'printer-status';
  device: string;
  provenance: string;
  source: { url: string };
  samples?: { request: number; answer: string; expect: Record<string, unknown> }[];
  scenarios?: {
    name: string;
    answers: Record<string, string>;
    expect: Record<string, unknown>;
    detailContains: string;
  }[];
}

interface UsbFixture {
  kind: 'printer-usb';
  device: string;
  usb: { vendorId: string; productId: string };
  interfaces: { class: number; endpoints: { n: number; dir: 'in' | 'out' }[] }[];
  expect: { opens?: boolean; profile?: string; refused?: string };
}

const hexId = (s: string) => Number.parseInt(s, 16);

function fakeFor(f: UsbFixture): FakeUsbPrinterDevice {
  const iface = f.interfaces[0]!;
  return new FakeUsbPrinterDevice({
    vendorId: hexId(f.usb.vendorId),
    productId: hexId(f.usb.productId),
    interfaceClass: iface.class,
    endpoints: {
      out: iface.endpoints.find((e) => e.dir === 'out')!.n,
      in: iface.endpoints.find((e) => e.dir === 'in')!.n,
    },
  });
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function started(printer: StreamPrinter): StreamPrinter {
  stops.push(() => printer.stop());
  return printer;
}

describe('real printer status bytes', () => {
  for (const fixture of loadFixtures<StatusFixture>('printer-status')) {
    for (const sample of fixture.samples ?? []) {
      it(`${fixture.file}: DLE EOT ${sample.request} answered 0x${sample.answer}`, () => {
        const byte = hexId(sample.answer);
        const answers = [0x12, 0x12, 0x12];
        answers[sample.request === 4 ? 2 : sample.request - 1] = byte;
        expect(parseStatus(answers[0]!, answers[1]!, answers[2]!)).toMatchObject(sample.expect);
      });
    }
    for (const scenario of fixture.scenarios ?? []) {
      it(`${fixture.file}: ${scenario.name}, through a vendor-class USB TM printer`, async () => {
        const fake = new FakeUsbPrinterDevice({ vendorId: 0x04b8, productId: 0x0e03, interfaceClass: 255 });
        fake.device.setStatusBytes(
          Object.fromEntries(Object.entries(scenario.answers).map(([n, b]) => [Number(n), hexId(b)])),
        );
        const printer = started(
          createPrinter(
            { transport: 'usb', vendorId: 0x04b8, productId: 0x0e03, statusTimeoutMs: 1000 },
            { findUsbDevice: async () => fake },
          ),
        );
        const status = await printer.status();
        expect(status).toMatchObject(scenario.expect);
        expect(status.detail).toContain(scenario.detailContains);
        const asked3 = Buffer.from(fake.sentBytes).toString('hex').includes('100403');
        expect(asked3).toBe(scenario.expect.error === true);
      });
    }
  }
});

describe('real printer USB identities', () => {
  for (const fixture of loadFixtures<UsbFixture>('printer-usb')) {
    const vendorId = hexId(fixture.usb.vendorId);
    const productId = hexId(fixture.usb.productId);
    if (fixture.expect.opens) {
      it(`${fixture.file}: ${fixture.device} is found without configured ids, prints, and fingerprints as ${fixture.expect.profile}`, async () => {
        expect(fingerprintOf(vendorId, productId)).toMatchObject({
          role: 'printer',
          profile: fixture.expect.profile,
        });
        const fake = fakeFor(fixture);
        const printer = started(createPrinter({ transport: 'usb' }, { findUsbDevice: async () => fake }));
        expect(await printer.status()).toMatchObject({ online: true });
        const profile = getProfile(fixture.expect.profile!);
        await printer.write(
          renderReceipt({ blocks: [{ type: 'text', text: 'VERIFIED 正品' }, { type: 'cut' }] }, profile),
        );
        expect(fake.device.receipts).toHaveLength(1);
      });
    } else {
      it(`${fixture.file}: ${fixture.device} is refused with ${fixture.expect.refused}, naming why`, async () => {
        const fake = fakeFor(fixture);
        const printer = started(createPrinter({ transport: 'usb' }, { findUsbDevice: async () => fake }));
        const status = await printer.status();
        expect(status.online).toBe(false);
        expect(status.detail).toMatch(/Star Graphics.*not ESC\/POS/);
        await expect(printer.write(Uint8Array.of(0x1b, 0x40))).rejects.toMatchObject({
          code: fixture.expect.refused,
        });
        expect(fake.transfers).toEqual([]);
        // A printer switched to ESC/POS emulation can be used on purpose.
        const forced = started(
          createPrinter(
            { transport: 'usb', protocol: 'escpos' },
            { findUsbDevice: async () => fakeFor(fixture) },
          ),
        );
        expect(await forced.status()).toMatchObject({ online: true });
      });
    }
  }

  it('an unknown vendor-class device is not written to unless its ids are configured', async () => {
    const unknown = () =>
      new FakeUsbPrinterDevice({ vendorId: 0x1234, productId: 0x5678, interfaceClass: 255 });
    const guessed = started(createPrinter({ transport: 'usb' }, { findUsbDevice: async () => unknown() }));
    expect((await guessed.status()).detail).toMatch(/no printer interface.*set its vendorId and productId/);
    const named = started(
      createPrinter(
        { transport: 'usb', vendorId: 0x1234, productId: 0x5678 },
        { findUsbDevice: async () => unknown() },
      ),
    );
    expect(await named.status()).toMatchObject({ online: true });
  });

  it('refuses typos in the USB printer options', () => {
    // The type refuses the typo too; the runtime check is for config files.
    // @ts-expect-error vendorID is not an option (vendorId is)
    expect(() => createPrinter({ transport: 'usb', vendorID: 0x04b8 })).toThrow(/vendorID|Unrecognized/);
  });
});

describe('encodable repertoire per profile', () => {
  const lineBytes = (text: string, profileId: string) =>
    Buffer.from(renderReceipt({ blocks: [{ type: 'text', text }] }, getProfile(profileId)));

  it('a Chinese-mode printer never gets 4-byte GB18030: ö ß ñ ™ lines go out as images', () => {
    for (const text of ['Größe 500 g', 'Señor', 'Brand™']) {
      const bytes = lineBytes(text, 'xprinter-80');
      for (const four of ['81308b32', '81308938', '81308a39', '8136be34'])
        expect(bytes.toString('hex')).not.toContain(four);
      expect(bytes.toString('hex')).toContain('1d7630'); // GS v 0 raster image
    }
  });

  it('characters the font has (é, ü, ·, Chinese) stay text', () => {
    const bytes = lineBytes('Café über · 正品', 'xprinter-80');
    expect(bytes.toString('hex')).toContain('a8a6'); // é as GB18030 double byte
    expect(bytes.toString('hex')).not.toContain('1d7630');
  });

  it('a GB2312-only font (pos-58) gets GBK-only characters as an image', () => {
    expect(lineBytes('王堃', 'xprinter-80').toString('hex')).toContain('88d2');
    const gb2312 = lineBytes('王堃', 'pos-58').toString('hex');
    expect(gb2312).not.toContain('88d2');
    expect(gb2312).toContain('1d7630');
  });

  it('a code-page printer prints what its code page lacks (™ in CP858) as an image, not "?"', () => {
    expect(lineBytes('Größe', 'epson-tm-t88').toString('hex')).toContain('94e1'); // ö ß in CP858
    const tm = lineBytes('Brand™', 'epson-tm-t88');
    expect(tm.includes(Buffer.from('Brand?'))).toBe(false);
    expect(tm.toString('hex')).toContain('1d7630');
  });
});
