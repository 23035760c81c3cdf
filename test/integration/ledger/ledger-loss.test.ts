import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { runDoctor } from '../../../provisioning/doctor/run-doctor.js';
import { validateConfig } from '../../../terminal/config/load-config.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { VeritermError } from '../../../terminal/errors.js';
import {
  createTerminalKey,
  identityFromPrivateKey,
  TERMINAL_KEY_FILE,
} from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import { silentLogger } from '../../../terminal/logger.js';
import { startTerminal } from '../../../terminal/main.js';
import { freePort } from '../../helpers/free-port.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';
import { hasSystemTool } from '../../helpers/system-tools.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { code, openTerminal } from '../checkout/checkout-fixture.js';
import { startUpstreamFor, terminalKeys, until } from '../sync/harness.js';

const STORE = 'store-a';
const TERMINAL = 'lane-1';

/** Runs `veriterm …` in-process; resolves the exit code and what it printed. */
async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = await main(argv, { stdout: stream, stderr: stream, stdin: new PassThrough() });
  return { code: exit, out };
}

function writeConfig(dir: string, sync?: Record<string, unknown>): string {
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      http: { host: '127.0.0.1', port: 0 },
      terminal: { storeId: STORE, terminalId: TERMINAL },
      ...(sync ? { sync: { storeId: STORE, terminalId: TERMINAL, ...sync } } : {}),
    }),
  );
  return file;
}

function configOf(file: string) {
  const r = validateConfig(JSON.parse(readFileSync(file, 'utf8')), {});
  if (!r.ok) throw new Error('bad test config');
  return r.config;
}

/** terminal.db and its WAL files, gone (what a wiped disk, a bad restore or an attacker leaves). */
function deleteLedger(dataDir: string): void {
  for (const f of ['terminal.db', 'terminal.db-wal', 'terminal.db-shm'])
    rmSync(join(dataDir, f), { force: true });
}

async function startFails(file: string): Promise<VeritermError> {
  try {
    const t = await startTerminal(configOf(file), silentLogger());
    await t.stop();
  } catch (error) {
    return error as VeritermError;
  }
  throw new Error('the terminal started without its ledger');
}

describe('a terminal that lost its ledger refuses to start', () => {
  const tmp = makeTempDir('vt-ledger-loss-');
  afterAll(() => tmp.cleanup());

  const site = async (name: string) => {
    const dir = join(tmp.dir, name);
    mkdirSync(dir, { recursive: true });
    const file = writeConfig(dir);
    // First start: key, ledger and anchor; one record so the ledger is not empty.
    const t = await startTerminal(configOf(file), silentLogger());
    t.ledger.append('receipt_printed', { saleId: 'warm-up' });
    await t.stop();
    return { dir, file, dataDir: join(dir, 'data') };
  };

  it('a first start with a key but no ledger yet (after provisioning) is fine, and anchors the ledger', async () => {
    const dir = join(tmp.dir, 'provisioned');
    mkdirSync(dir, { recursive: true });
    const file = writeConfig(dir);
    const dataDir = join(dir, 'data');
    createTerminalKey(join(dataDir, TERMINAL_KEY_FILE)); // what veriterm provision leaves
    const first = await startTerminal(configOf(file), silentLogger());
    first.ledger.append('receipt_printed', { saleId: 'first' });
    await first.stop();
    expect(existsSync(join(dataDir, 'identity', 'ledger.anchor'))).toBe(true);
    const again = await startTerminal(configOf(file), silentLogger());
    expect(again.ledger.headSeq()).toBe(1);
    await again.stop();
  });

  it.each([
    ['deleted', (dataDir: string) => deleteLedger(dataDir), 'is missing'],
    [
      'emptied to 0 bytes',
      (dataDir: string) => {
        deleteLedger(dataDir);
        writeFileSync(join(dataDir, 'terminal.db'), '');
      },
      'is empty (0 bytes)',
    ],
    [
      'replaced by a new empty database',
      (dataDir: string) => {
        deleteLedger(dataDir);
        const key = identityFromPrivateKey(terminalKeys().privateKey);
        const db = openDatabase(join(dataDir, 'terminal.db'));
        new Ledger({ db, identity: key, storeId: STORE, terminalId: TERMINAL }).close();
        db.close();
      },
      'holds no records of this terminal',
    ],
  ])(
    'terminal.db %s: start refused with ledger_missing naming the file and the remedy; doctor fails the same way',
    async (name, lose, what) => {
      const s = await site(name.replace(/\W+/g, '-'));
      lose(s.dataDir);
      const error = await startFails(s.file);
      expect(error).toBeInstanceOf(VeritermError);
      expect(error.code).toBe('ledger_missing');
      expect(error.message).toContain(join(s.dataDir, 'terminal.db'));
      expect(error.message).toContain(what);
      expect(error.message).toContain('veriterm ledger recover --config FILE');
      // Nothing was created or changed by the refusal.
      if (name === 'deleted') expect(existsSync(join(s.dataDir, 'terminal.db'))).toBe(false);
      const checks = await runDoctor({ configFile: s.file, env: {} });
      const ledger = checks.find((c) => c.name === 'ledger');
      expect(ledger).toMatchObject({ level: 'fail' });
      expect(ledger?.message).toContain('[ledger_missing]');
      expect(ledger?.remedy).toContain('veriterm ledger recover --config FILE');
      expect(checks.some((c) => c.name === 'records')).toBe(false);
      const doctor = await cli('doctor', '--config', s.file);
      expect(doctor.code).toBe(1);
      expect(doctor.out).toContain('FAIL  ledger');
    },
  );

  it("another terminal's ledger in its place: ledger_mismatch", async () => {
    const s = await site('swapped');
    const other = await site('other');
    deleteLedger(s.dataDir);
    for (const f of readdirSync(other.dataDir).filter((f) => f.startsWith('terminal.db')))
      copyFileSync(join(other.dataDir, f), join(s.dataDir, f));
    const error = await startFails(s.file);
    expect(error.code).toBe('ledger_mismatch');
    expect(error.message).toContain('is not the one this terminal wrote');
  });
});

describe.skipIf(!hasSystemTool('mosquitto'))(
  'veriterm ledger recover against mosquitto and the reference upstream',
  () => {
    const tmp = makeTempDir('vt-ledger-recover-');
    let broker: MosquittoBroker;
    beforeAll(async () => {
      broker = await startMosquitto({ dir: tmp.dir });
    });
    afterAll(async () => {
      await broker?.stop();
      tmp.cleanup();
    });

    it('continues upstream’s chain without gap or fork, alerts ledger_recovered, and keeps sold codes sold', async () => {
      const dir = join(tmp.dir, 'lane');
      mkdirSync(dir, { recursive: true });
      const file = writeConfig(dir, { brokerUrl: broker.url, drain: { pollIntervalMs: 50 } });
      const dataDir = join(dir, 'data');
      const up = startUpstreamFor(join(tmp.dir, 'up'), { brokerUrl: broker.url });
      await up.upstream.start();

      // A store day: the lane starts, sells three codes and takes one back; everything reaches upstream.
      let terminal = await startTerminal(configOf(file), silentLogger());
      up.upstream.store.enrol(STORE, TERMINAL, terminal.ledger.identity.publicKeyPem);
      await terminal.stop();
      let lane = openTerminal({ dir: dataDir, storeId: STORE, terminalId: TERMINAL });
      const sold = lane.checkout.completeSale({
        lines: [code(1), code(2), code(3)].map((data) => ({ data })),
      });
      if (!sold.ok) throw new Error(sold.message);
      const taken = lane.returns.processReturn({
        saleId: sold.sale.saleId,
        lines: [{ data: code(2) }],
        approvedBy: 'manager',
        reason: 'unopened',
      });
      expect(taken.ok).toBe(true);
      const head = lane.ledger.headSeq();
      lane.close();
      terminal = await startTerminal(configOf(file), silentLogger());
      await until(() => up.upstream.store.lastSeq(STORE, TERMINAL) === head, 'the day reached upstream');
      await until(() => terminal.ledger.stats().pending === 0, 'acknowledged');
      await terminal.stop();

      // The disk loses terminal.db: start refused.
      deleteLedger(dataDir);
      expect((await startFails(file)).code).toBe('ledger_missing');

      // Recovery with upstream unreachable: refused, and nothing is written.
      const deadPort = await freePort();
      const deadCfg = join(dir, 'dead.json');
      const cfg = JSON.parse(readFileSync(file, 'utf8'));
      cfg.sync.brokerUrl = `mqtt://127.0.0.1:${deadPort}`;
      writeFileSync(deadCfg, JSON.stringify(cfg));
      const refused = await cli('ledger', 'recover', '--config', deadCfg, '--timeout', '2');
      expect(refused.code).toBe(1);
      expect(refused.out).toContain('[upstream_unreachable]');
      expect(refused.out).toContain('not supported yet');
      expect(existsSync(join(dataDir, 'terminal.db'))).toBe(false);

      // Recovery against upstream.
      const recovered = await cli('ledger', 'recover', '--config', file);
      expect(recovered.out).toContain(`continues upstream's chain after seq ${head}`);
      expect(recovered.out).toContain('write-offs restored from upstream: 2');
      expect(recovered.code).toBe(0);
      const verify = await cli('ledger', 'verify', '--data', dataDir);
      expect(verify.code).toBe(0);
      expect(verify.out).toContain(`continues upstream's chain after seq ${head}`);
      expect((await runDoctor({ configFile: file, env: {} })).find((c) => c.name === 'ledger')?.level).toBe(
        'ok',
      );

      // The terminal starts; its first record links to upstream's tip: no gap, no fork, one alert.
      terminal = await startTerminal(configOf(file), silentLogger());
      expect(terminal.ledger.headSeq()).toBe(head + 1);
      await until(
        () => up.upstream.store.lastSeq(STORE, TERMINAL) === head + 1,
        'the recovery record reached upstream',
      );
      const seqs = up.upstream.store.sequences(STORE, TERMINAL);
      expect(seqs).toEqual(Array.from({ length: head + 1 }, (_, i) => i + 1));
      const kinds = up.upstream.store.alerts().map((a) => a.kind);
      expect(kinds).toContain('ledger_recovered');
      for (const bad of ['gap', 'bad_chain', 'conflict', 'bad_signature', 'bad_hash'])
        expect(kinds).not.toContain(bad);
      await terminal.stop();

      // Codes sold before the loss stay sold; the returned one and new ones sell; the chain goes on.
      lane = openTerminal({ dir: dataDir, storeId: STORE, terminalId: TERMINAL });
      try {
        const again = lane.checkout.completeSale({ lines: [{ data: code(1) }] });
        expect(again).toMatchObject({
          ok: false,
          code: 'lines_refused',
          refused: [{ verdict: 'already_sold', reason: 'written_off_here' }],
        });
        expect(lane.verifier.verify(code(3), { record: false }).verdict).toBe('already_sold');
        // A unit sold before the loss can still be returned: the return takes back the restored write-off.
        const back = lane.returns.processReturn({
          lines: [{ data: code(3) }],
          approvedBy: 'manager',
          reason: 'unopened',
        });
        expect(back.ok).toBe(true);
        const fresh = lane.checkout.completeSale({
          lines: [{ data: code(2) }, { data: code(3) }, { data: code(4) }],
        });
        if (!fresh.ok) throw new Error(fresh.message);
        expect(fresh.sale.seq).toBeGreaterThan(head + 1);
      } finally {
        lane.close();
      }
      terminal = await startTerminal(configOf(file), silentLogger());
      await until(() => terminal.ledger.stats().pending === 0, 'the new sale acknowledged');
      const kindsAfter = up.upstream.store.alerts().map((a) => a.kind);
      for (const bad of ['gap', 'bad_chain', 'conflict']) expect(kindsAfter).not.toContain(bad);
      await terminal.stop();
      expect((await cli('ledger', 'verify', '--data', dataDir)).code).toBe(0);

      // Recovering a present ledger is refused.
      const twice = await cli('ledger', 'recover', '--config', file);
      expect(twice.code).toBe(1);
      expect(twice.out).toContain('[ledger_present]');
      await up.upstream.stop();
    });

    it('deleting terminal.db and its anchor too is not silent: upstream records a fork, the terminal an impossible ack', async () => {
      const dir = join(tmp.dir, 'wiped');
      mkdirSync(dir, { recursive: true });
      const file = writeConfig(dir, { brokerUrl: broker.url, drain: { pollIntervalMs: 50 } });
      const dataDir = join(dir, 'data');
      const up = startUpstreamFor(join(tmp.dir, 'up-wiped'), { brokerUrl: broker.url });
      await up.upstream.start();
      let terminal = await startTerminal(configOf(file), silentLogger());
      up.upstream.store.enrol(STORE, TERMINAL, terminal.ledger.identity.publicKeyPem);
      for (let i = 0; i < 3; i++) terminal.ledger.append('receipt_printed', { saleId: `before-${i}` });
      await until(() => up.upstream.store.lastSeq(STORE, TERMINAL) === 3, 'three records upstream');
      await terminal.stop();

      deleteLedger(dataDir);
      rmSync(join(dataDir, 'identity', 'ledger.anchor'));
      terminal = await startTerminal(configOf(file), silentLogger());
      terminal.ledger.append('receipt_printed', { saleId: 'after-wipe' });
      await until(
        () => up.upstream.store.alerts().some((a) => a.kind === 'conflict' && a.seq === 1),
        'upstream sees seq 1 again with another hash (a fork)',
      );
      await until(
        () => terminal.health.get('upstream')?.code === 'upstream.impossible_ack',
        "the terminal refuses upstream's ack of seq 3 (its ledger ends at 1)",
      );
      expect(terminal.ledger.stats().lastAckedSeq).toBe(0);
      await terminal.stop();
      await up.upstream.stop();
    });
  },
);
