import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as deliveries } from '../../../cli/receiving/deliveries-command.js';
import { run as stock } from '../../../cli/receiving/stock-command.js';
import { loadOrCreateTerminalKey } from '../../../terminal/identity/terminal-key.js';
import { runCaptured } from '../../helpers/captured-io.js';
import {
  cn20,
  noteOf,
  pallet,
  ReceivingRig,
  signNote,
  sscc,
  upstreamKeys,
} from '../../helpers/receiving-fixture.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const cli = (run: typeof stock, argv: string[]) => runCaptured(run, argv);

describe('veriterm deliveries / stock', () => {
  const tmp = makeTempDir('vt-receiving-cli-');
  const identity = () => loadOrCreateTerminalKey(join(tmp.dir, 'terminal-key.pem'));
  const rig = () => new ReceivingRig(join(tmp.dir, 'terminal.db'), identity(), keys);
  const keys = upstreamKeys();
  const config = join(tmp.dir, 'config.json');
  const noteFile = join(tmp.dir, 'note.json');

  beforeAll(() => {
    // A terminal that has a ledger (the import needs terminal.db) and pins the upstream key.
    rig().close();
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: tmp.dir,
        terminal: { storeId: 's1', terminalId: 't1' },
        sync: {
          brokerUrl: 'mqtt://127.0.0.1:1',
          storeId: 's1',
          terminalId: 't1',
          commands: { publicKeys: [keys.publicKey.export({ format: 'pem', type: 'spki' }).toString()] },
        },
      }),
    );
    const note = noteOf({ deliveryId: 'D-CLI', pallets: [pallet(1, 2, 2, 0)], units: [cn20(70)] });
    writeFileSync(
      noteFile,
      JSON.stringify(signNote(note, keys.privateKey, { expiresAt: '2099-01-01T00:00:00Z' })),
    );
  });
  afterAll(() => tmp.cleanup());

  it('imports a signed note file once, refuses a forged one by name, lists notes, prints stock', async () => {
    expect(await cli(deliveries, ['import', noteFile, '--config', config])).toMatchObject({
      code: 0,
      out: 'veriterm deliveries import: D-CLI imported (5 units)\n',
    });
    expect(await cli(deliveries, ['import', noteFile, '--config', config])).toMatchObject({
      code: 1,
      err: expect.stringContaining('refused (replayed)'),
    });
    const forged = join(tmp.dir, 'forged.json');
    writeFileSync(
      forged,
      JSON.stringify(
        signNote(noteOf({ deliveryId: 'D-X', units: [cn20(80)] }), upstreamKeys().privateKey, {
          expiresAt: '2099-01-01T00:00:00Z',
        }),
      ),
    );
    expect(await cli(deliveries, ['import', forged, '--config', config])).toMatchObject({
      code: 1,
      err: expect.stringContaining('refused (bad_signature)'),
    });
    const listed = await cli(deliveries, ['list', '--data', tmp.dir]);
    expect(listed.out).toMatch(/^D-CLI {2}open {2}Wholesaler One {2}5 units/);
    expect(await cli(stock, ['--data', tmp.dir, '--csv'])).toMatchObject({
      code: 0,
      out: 'product,received,found_in,sold,returned_to_supplier,transferred,destroyed,lost,on_hand\n',
    });
    const r = rig();
    r.session('D-CLI').scan(`]C100${sscc(1)}`);
    r.close();
    expect(await cli(stock, ['--data', tmp.dir, '--csv'])).toMatchObject({
      code: 0,
      out: 'product,received,found_in,sold,returned_to_supplier,transferred,destroyed,lost,on_hand\n6900001,4,0,0,0,0,0,0,4\n',
    });
    expect((await cli(stock, ['--data', tmp.dir])).out).toContain('1 products, 4 units on hand');
    expect(JSON.parse((await cli(stock, ['--data', tmp.dir, '--unit', cn20(70)])).out)).toMatchObject({
      state: 'expected',
      deliveryId: 'D-CLI',
    });
  });
});
