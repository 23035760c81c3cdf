import { createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCode } from '../../../terminal/codes/parse-code.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { identityFromPrivateKey } from '../../../terminal/identity/terminal-key.js';
import { Ledger } from '../../../terminal/ledger/ledger.js';
import type { Logger } from '../../../terminal/logger.js';
import { buildSnapshot } from '../../../terminal/registry/build.js';
import { generateSigningKey, writeSigningKey } from '../../../terminal/registry/keys.js';
import { createRoot, type RootMetadata } from '../../../terminal/registry/root.js';
import { RegistryStore } from '../../../terminal/registry/store.js';
import { createSync, type Sync } from '../../../terminal/sync/create-sync.js';
import { registryStoreApplier } from '../../../terminal/sync/registry-applier.js';
import { decideVerdict, policyMoment } from '../../../terminal/verify/policy.js';

export const SIM_SCOPE = 'sim';
/** The registered product the watched codes belong to (a 7-digit product resource code). */
const PRODUCT = '9900000';

/** The fleet's own codes to register (sim-terminal.ts nextCode): serials 1…N of every terminal. */
export interface SimFleetCodes {
  terminals: number;
  serialsPerTerminal: number;
}

/** Products the fleet's codes belong to (sim-terminal.ts nextCode: 1000000 + serial mod 1000). */
const FLEET_PRODUCTS = 1000;

/** The fleet's codes in key order (what a snapshot takes): by product, then terminal, then serial. */
function* fleetUnits(fleet: SimFleetCodes) {
  for (let p = 0; p < FLEET_PRODUCTS; p++) {
    const product = String(1_000_000 + p);
    for (let index = 0; index < fleet.terminals; index++) {
      const prefix = `${product}${String(index).padStart(5, '0')}`;
      for (
        let serial = p === 0 ? FLEET_PRODUCTS : p;
        serial <= fleet.serialsPerTerminal;
        serial += FLEET_PRODUCTS
      )
        yield {
          key: `${prefix}${String(serial).padStart(8, '0')}`,
          status: 'active' as const,
          productKey: product,
        };
    }
  }
}

/**
 * A signed registry for the simulation: one covered product whose units are `codes`, as snapshot
 * 1 in the upstream's release directory, and the release key in `registry-keys/` so upstream signs
 * sold-unit deltas as it does in production (start-upstream.ts). Returns the root terminals pin.
 * With `fleet`, the codes the fleet sells are registered too (1,000 products), so every sale is a
 * unit of the scope and goes into its deltas, as in a chain whose scope covers what it sells.
 */
export async function writeSimRegistry(
  dataDir: string,
  codes: readonly string[],
  fleet?: SimFleetCodes,
): Promise<RootMetadata> {
  const now = new Date();
  const rootKey = generateSigningKey();
  const releaseKey = generateSigningKey();
  const root = createRoot(
    {
      rootKeys: [rootKey],
      releaseKeys: [releaseKey],
      expires: new Date(now.getTime() + 365 * 86_400_000).toISOString(),
    },
    [rootKey],
  );
  const keysDir = join(dataDir, 'registry-keys');
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(join(keysDir, 'root.json'), JSON.stringify(root));
  writeSigningKey(releaseKey, join(keysDir, 'release.key'));
  const snapshotDir = join(dataDir, 'registry', SIM_SCOPE, 'snapshot-1');
  mkdirSync(snapshotDir, { recursive: true });
  await buildSnapshot(
    {
      scope: SIM_SCOPE,
      version: 1,
      created: now.toISOString(),
      expires: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
      products: [
        ...(fleet
          ? Array.from({ length: FLEET_PRODUCTS }, (_, p) => ({
              key: String(1_000_000 + p),
              names: { 'zh-CN': `模拟商品 ${p}`, en: `Simulated product ${p}` },
              manufacturer: 'veriterm simulator',
              covered: true,
            }))
          : []),
        {
          key: PRODUCT,
          names: { 'zh-CN': '模拟药品', en: 'Simulated medicine' },
          manufacturer: 'veriterm simulator',
          covered: true,
        },
      ],
      batches: [
        {
          productKey: PRODUCT,
          number: 'SIM1',
          productionDate: '2025-01-01',
          expiryDate: '2099-12-31',
          recalled: false,
        },
      ],
      units: (function* () {
        if (fleet) yield* fleetUnits(fleet);
        const watched = [...codes].sort();
        for (const key of watched)
          yield { key, status: 'active' as const, productKey: PRODUCT, batchNumber: 'SIM1' };
      })(),
    },
    [releaseKey],
    join(snapshotDir, `${SIM_SCOPE}-1.manifest.json`),
  );
  return root;
}

/** The watched codes: 20 digits, product PRODUCT, a 13-digit serial. */
export function simRegistryCode(k: number): string {
  return `${PRODUCT}${String(k).padStart(13, '0')}`;
}

const POLICY = { maxRegistryAgeMs: 86_400_000, expiredPolicy: 'block', unverifiablePolicy: 'block' } as const;

/**
 * A kiosk at a store: the terminal's real sync (persistent session, registry announcements,
 * chunked transfer, verified apply into its registry store) and the one verdict policy. What
 * `verdict(code)` says is what a shopper scanning the pack there would see.
 */
export class SimKiosk {
  private readonly sync: Sync;
  private readonly store: RegistryStore;

  constructor(
    spec: {
      storeId: string;
      terminalId: string;
      privateKeyPem: string;
      brokerUrl: string;
      dir: string;
      root: RootMetadata;
    },
    logger: Logger,
  ) {
    mkdirSync(spec.dir, { recursive: true });
    const db = openDatabase(join(spec.dir, 'terminal.db'));
    const ledger = new Ledger({
      db,
      identity: identityFromPrivateKey(createPrivateKey(spec.privateKeyPem)),
      storeId: spec.storeId,
      terminalId: spec.terminalId,
    });
    this.store = RegistryStore.open(join(spec.dir, 'registry.db'));
    this.sync = createSync(
      {
        outbox: ledger,
        db,
        logger,
        stagingDir: join(spec.dir, 'staging'),
        registry: registryStoreApplier(this.store, { pinnedRoot: spec.root }),
      },
      {
        brokerUrl: spec.brokerUrl,
        storeId: spec.storeId,
        terminalId: spec.terminalId,
        protocol: '5',
        registry: { scopes: [SIM_SCOPE] },
      },
    );
  }

  start(): Promise<void> {
    return this.sync.start();
  }

  /** The registry version it holds (undefined before the first snapshot). */
  version(): number | undefined {
    return this.store.state()?.version;
  }

  verdict(code: string): string {
    const parse = parseCode(code);
    return decideVerdict({
      parse,
      lookup: this.store.lookup(parse.ok ? parse.key : ''),
      moment: policyMoment(this.store.state(), new Date(), POLICY),
      today: new Date().toISOString().slice(0, 10),
      history: { checksHere: 0 },
      config: POLICY,
    }).verdict;
  }

  async stop(): Promise<void> {
    await this.sync.stop();
    this.store.close();
  }
}
