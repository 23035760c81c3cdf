import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HidPosScanner } from '../../../drivers/scanner/hid/hid-pos-scanner.js';
import { FIXTURE_DIR, loadFixtures, replayFixture, type ScannerFixture } from './device-fixtures.js';

const fixtures = loadFixtures<ScannerFixture>('scanner');

describe('real scanner fixtures through the whole driver stack', () => {
  it('has at least 8 scanners across Honeywell, Zebra/Symbol, Datalogic, Newland and generic firmware', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
    const vendors = fixtures.map((f) => f.vendor.toLowerCase()).join(' ');
    for (const v of ['honeywell', 'zebra', 'datalogic', 'newland', 'generic']) expect(vendors).toContain(v);
    for (const f of fixtures) {
      expect(f.source.url, f.file).toMatch(/\S/);
      expect(['real', 'reconstructed'], f.file).toContain(f.provenance);
    }
    expect(fixtures.filter((f) => f.provenance === 'real').length).toBeGreaterThanOrEqual(2);
  });

  for (const fixture of fixtures) {
    it(`${fixture.file}: ${fixture.result}`, async () => {
      const { scans, errors, source } = await replayFixture(fixture);
      expect(
        scans.map((s) =>
          s.symbology === undefined ? { data: s.data } : { data: s.data, symbology: s.symbology },
        ),
      ).toEqual(fixture.expect.scans);
      expect(errors).toEqual(fixture.expect.errors);
      if (fixture.mode === 'hid-pos') {
        expect((source as HidPosScanner).setup?.quirks ?? []).toEqual(fixture.quirks);
      }
    });
    const without = fixture.withoutOptions;
    if (without) {
      it(`${fixture.file}: without its settings the scan is refused, not garbled`, async () => {
        const { scans, errors } = await replayFixture(fixture, {});
        expect(scans.map((s) => s.data)).toEqual(without.scans.map((s) => s.data));
        expect(errors).toEqual(without.errors);
      });
    }
  }
});

describe('docs/devices.md', () => {
  it('lists every device fixture in its compatibility table', () => {
    const doc = readFileSync(join(FIXTURE_DIR, '../../../docs/devices.md'), 'utf8');
    const table = doc.slice(doc.indexOf('## Compatibility table'), doc.indexOf('## Quirks'));
    for (const file of readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json'))) {
      expect(table, `${file} missing from the compatibility table`).toContain(`(\`${file}\`)`);
    }
  });
});
