import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { z } from 'zod';
import type { Logger } from '../terminal/logger.js';
import { parseRoot } from '../terminal/registry/root.js';
import {
  type CredentialIssuer,
  mosquittoPasswordIssuer,
  opensslCertificateIssuer,
} from './enrolment-credentials.js';
import { EnrolmentService } from './enrolment-service.js';
import { revocationSettingsSchema } from './revocation.js';
import type { EnrolmentStorage } from './storage/contract.js';

/** `{upstream data}/enrolment.json`: how this upstream issues broker credentials. Absent: no enrolment service. */
export const ENROLMENT_SETTINGS_FILE = 'enrolment.json';
/** The registry root terminals pin (the same file the delta builder signs under). */
export const ENROLMENT_ROOT_FILE = 'registry-keys/root.json';

export const enrolmentSettingsSchema = z.object({
  issuer: z.discriminatedUnion('type', [
    /** Brokers that let any client in (the embedded demo broker): terminals get no secret. */
    z.object({ type: z.literal('anonymous'), url: z.string().optional() }),
    /** mosquitto password_file; mosquitto is told by SIGHUP to the pid in `pidFile`. */
    z.object({
      type: z.literal('mosquitto-password'),
      passwordFile: z.string(),
      pidFile: z.string(),
      url: z.string().optional(),
      /** CA of the broker's server certificate, handed to terminals to pin. */
      caFile: z.string().optional(),
    }),
    /** Client certificates signed by the broker's client CA. */
    z.object({
      type: z.literal('certificate'),
      caFile: z.string(),
      caKeyFile: z.string(),
      serverCaFile: z.string().optional(),
      url: z.string().optional(),
    }),
  ]),
  /** Shared-subscription group for enrolment requests; '' for brokers without $share. @default 'veriterm-enrol' */
  shareGroup: z.string().default('veriterm-enrol'),
  /** Broker files upstream rewrites when it revokes a terminal (upstream/revocation.ts). */
  revocation: revocationSettingsSchema.optional(),
  /** Hand upstream's command public key to terminals. @default true */
  includeCommandKey: z.boolean().default(true),
});

export interface BrokerLogin {
  brokerUrl: string;
  /** The upstream worker's client id; the enrolment responder connects as `{clientId}-enrol`. */
  clientId?: string;
  protocol?: 'auto' | '5' | '3.1.1';
  username?: string;
  password?: string;
  tls?: { caFile: string; certFile?: string; keyFile?: string };
}

/**
 * Starts the enrolment responder beside the reference upstream when the data directory holds
 * `enrolment.json` and the registry root. The upstream's own broker login is reused.
 */
export async function startEnrolment(input: {
  dataDir: string;
  enrolment: EnrolmentStorage;
  logger: Logger;
  login: BrokerLogin;
  commandPublicKeyPem?: string;
  onEnrolled?: (t: { storeId: string; terminalId: string; publicKey: string }) => void | Promise<void>;
}): Promise<EnrolmentService | undefined> {
  const settingsFile = join(input.dataDir, ENROLMENT_SETTINGS_FILE);
  const rootFile = join(input.dataDir, ENROLMENT_ROOT_FILE);
  if (!existsSync(settingsFile) || !existsSync(rootFile)) {
    input.logger.info({ settingsFile, rootFile }, 'enrolment service off (needs both files)');
    return undefined;
  }
  const settings = enrolmentSettingsSchema.parse(JSON.parse(readFileSync(settingsFile, 'utf8')));
  const root = parseRoot(readFileSync(rootFile, 'utf8'));
  const tls: IClientOptions = input.login.tls
    ? {
        ca: readFileSync(input.login.tls.caFile),
        ...(input.login.tls.certFile ? { cert: readFileSync(input.login.tls.certFile) } : {}),
        ...(input.login.tls.keyFile ? { key: readFileSync(input.login.tls.keyFile) } : {}),
      }
    : {};
  const service = new EnrolmentService(
    {
      store: input.enrolment,
      issuer: issuerFor(settings.issuer, input.login, tls),
      rootFor: () => root,
      logger: input.logger,
      ...(settings.includeCommandKey && input.commandPublicKeyPem
        ? { commandKeys: [input.commandPublicKeyPem] }
        : {}),
      ...(input.onEnrolled ? { onEnrolled: input.onEnrolled } : {}),
    },
    {
      brokerUrl: input.login.brokerUrl,
      // Stable like the worker's own id (options.ts): a restart takes the old connection over
      // instead of adding a member to the shared group. The session is clean (mqtt.js default).
      clientId: `${input.login.clientId ?? 'vt-upstream'}-enrol`,
      ...(input.login.username !== undefined ? { username: input.login.username } : {}),
      ...(input.login.password !== undefined ? { password: input.login.password } : {}),
      mqtt: tls,
      shareGroup: settings.shareGroup,
      ...(input.login.protocol ? { protocol: input.login.protocol } : {}),
    },
  );
  await service.start();
  return service;
}

function issuerFor(
  issuer: z.infer<typeof enrolmentSettingsSchema>['issuer'],
  login: BrokerLogin,
  tls: IClientOptions,
): CredentialIssuer {
  switch (issuer.type) {
    case 'anonymous':
      return { issue: async () => (issuer.url ? { url: issuer.url } : {}) };
    case 'mosquitto-password':
      return mosquittoPasswordIssuer({
        passwordFile: issuer.passwordFile,
        ...(issuer.url ? { url: issuer.url } : {}),
        ...(issuer.caFile ? { caPem: readFileSync(issuer.caFile, 'utf8') } : {}),
        reload: () => {
          process.kill(Number(readFileSync(issuer.pidFile, 'utf8').trim()), 'SIGHUP');
        },
        confirm: (username, password) => confirmLogin(login.brokerUrl, { ...tls, username, password }),
      });
    case 'certificate':
      return opensslCertificateIssuer({
        caFile: issuer.caFile,
        caKeyFile: issuer.caKeyFile,
        ...(issuer.url ? { url: issuer.url } : {}),
        ...(issuer.serverCaFile ? { serverCaPem: readFileSync(issuer.serverCaFile, 'utf8') } : {}),
      });
  }
}

/** Connects with the new login until the broker (after its reload) accepts it; 5 s at most. */
async function confirmLogin(url: string, options: IClientOptions): Promise<void> {
  const deadline = Date.now() + 5000;
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await mqtt.connectAsync(
        url,
        {
          ...options,
          reconnectPeriod: 0,
          connectTimeout: 2000,
          clientId: `vt-enrol-check-${process.pid}-${attempt}`,
        },
        false,
      );
      await client.endAsync(true);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50 * Math.min(attempt + 1, 5)));
    }
  }
}
