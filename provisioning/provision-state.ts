import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { StatePaths } from './state-paths.js';

/** What enrolment wrote to enrolment.json (enrol-step.ts). */
export interface SavedEnrolment {
  storeId: string;
  terminalId: string;
  role: 'kiosk' | 'checkout';
  scope: string;
  rootFingerprint: string;
  brokerUrl: string;
  keyId: string;
  enrolledAt: string;
}

/**
 * What a data folder and config file hold before provisioning:
 * - `none`: nothing (a bare device);
 * - `provisioned`: a config file (a terminal in service, or one to replace with --force);
 * - `half`: the code was spent and the keys and credentials committed, but no config was written
 *   (e.g. the config folder refused the write): re-running repairs it without a new code;
 * - `leftover`: a data folder with files but no enrolment record (not ours to guess about).
 */
export type ExistingState =
  | { kind: 'none' }
  | { kind: 'provisioned' }
  | { kind: 'half'; enrolment: SavedEnrolment; credentials: ConfigCredentials }
  | { kind: 'leftover' };

export interface ConfigCredentials {
  password: boolean;
  clientCert: boolean;
  ca: boolean;
}

export function existingState(paths: StatePaths, configFile: string): ExistingState {
  if (existsSync(configFile)) return { kind: 'provisioned' };
  let names: string[];
  try {
    names = readdirSync(paths.dataDir);
  } catch {
    return { kind: 'none' };
  }
  if (names.length === 0) return { kind: 'none' };
  const enrolment = readEnrolment(paths);
  if (!enrolment || !existsSync(paths.terminalKey) || !existsSync(paths.registryDb))
    return { kind: 'leftover' };
  return {
    kind: 'half',
    enrolment,
    credentials: {
      password: existsSync(paths.brokerCredentials),
      clientCert: existsSync(paths.clientCert) && existsSync(paths.clientKey),
      ca: existsSync(paths.brokerCa),
    },
  };
}

function readEnrolment(paths: StatePaths): SavedEnrolment | undefined {
  try {
    const e = JSON.parse(readFileSync(paths.enrolment, 'utf8')) as Partial<SavedEnrolment>;
    const fields = ['storeId', 'terminalId', 'scope', 'brokerUrl', 'rootFingerprint'] as const;
    if (!fields.every((f) => typeof e[f] === 'string')) return undefined;
    return { role: 'kiosk', keyId: '', enrolledAt: '', ...e } as SavedEnrolment;
  } catch {
    return undefined;
  }
}
