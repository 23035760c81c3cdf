import { generateKeyPairSync } from 'node:crypto';
import { simRegistryCode } from './sim-kiosk.js';
import type { SimTerminalSpec } from './sim-terminal.js';

/** A device the run enrols upstream (a till or a kiosk): its store, its key and the key's public half. */
export type EnrolledDevice = SimTerminalSpec & { publicKeyPem: string };

/** A till of the fleet, with its place in it (terminal processes take index mod processes). */
export type FleetTerminal = EnrolledDevice & { index: number };

/** A registered code sold at store X (by terminal x), then again at store Y (by terminal y). */
export interface ClonePair {
  code: string;
  x: FleetTerminal;
  y: FleetTerminal;
}

export interface FleetPlan {
  fleet: FleetTerminal[];
  /** Links to drop: terminal index, when (ms after the start of sales), for how long. */
  drops: { index: number; atMs: number; forMs: number }[];
  pairs: ClonePair[];
  /** One kiosk at each store Y of the clone pairs. */
  kioskKeys: EnrolledDevice[];
}

/**
 * Who is in the run and what happens to them: terminal i at store i mod stores, each its own key;
 * the links that drop; the codes sold at two stores and the kiosks that watch them. Random choices
 * come from `random` in a fixed order, so a seed replays the same plan.
 */
export function planFleet(
  options: { terminals: number; stores: number; durationMs: number; dropShare: number; clones: number },
  random: () => number,
): FleetPlan {
  const fleet: FleetTerminal[] = [];
  for (let index = 0; index < options.terminals; index++) {
    fleet.push({
      index,
      storeId: `store-${String(index % options.stores).padStart(5, '0')}`,
      terminalId: `till-${String(index).padStart(5, '0')}`,
      ...newKey(),
    });
  }
  const drops = fleet
    .filter(() => random() < options.dropShare)
    .map((t) => ({
      index: t.index,
      atMs: Math.round(options.durationMs * (0.1 + 0.6 * random())),
      forMs: Math.round(2000 + 8000 * random()),
    }));
  // Clone pairs: a registered code sold at store X, seen as already_sold by the kiosk at
  // store Y, then sold at Y too. From terminals that stay connected: the latencies measured are
  // propagation's and detection's, not an outage's.
  const dropped = new Set(drops.map((d) => d.index));
  const steady = fleet.filter((t) => !dropped.has(t.index));
  const pick = () => steady[Math.floor(random() * steady.length)] ?? fleet[0]!;
  const pairs = Array.from({ length: options.clones }, (_, k) => {
    const x = pick();
    let y = pick();
    for (let tries = 0; tries < 1000 && y.storeId === x.storeId; tries++) y = pick();
    return { code: simRegistryCode(k), x, y };
  });
  const kioskStores = [...new Set(pairs.map((p) => p.y.storeId))];
  const kioskKeys = kioskStores.map((storeId) => ({ storeId, terminalId: 'kiosk-1', ...newKey() }));
  return { fleet, drops, pairs, kioskKeys };
}

/** A fresh Ed25519 key pair, as PEM. */
function newKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
