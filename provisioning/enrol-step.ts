import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { VeritermError } from '../terminal/errors.js';
import type { TerminalIdentity } from '../terminal/identity/index.js';
import { pinRoot } from '../terminal/registry/index.js';
import { type EnrolGrant, normalizeEnrolmentCode, rootFingerprint } from '../upstream/enrolment-protocol.js';
import type { Answers } from './answers.js';
import { requestEnrolment } from './enrol-client.js';
import type { StatePaths } from './state-paths.js';
import type { ProvisionUi } from './ui.js';

export interface Enrolled {
  grant: EnrolGrant;
  brokerUrl: string;
  fingerprint: string;
  credentials: { password: boolean; clientCert: boolean; ca: boolean };
}

const normalizeFingerprint = (s: string) => s.replace(/[^0-9a-f]/gi, '').toUpperCase();

/**
 * Step 3: enrolment code → upstream → credentials and registry root; the technician confirms the
 * root fingerprint; then the root is pinned and the credentials stored, in the staging directory
 * only (committed with the config, or thrown away).
 */
export async function enrolStep(
  ui: ProvisionUi,
  answers: Answers,
  ids: { storeId: string; terminalId: string; role: 'kiosk' | 'checkout' },
  identity: TerminalIdentity,
  staging: StatePaths,
): Promise<Enrolled> {
  let brokerUrl = answers.brokerUrl;
  let code = answers.enrolmentCode;
  let account = accountOf(answers);
  let grant: EnrolGrant | undefined;
  let enrolledVia = '';
  // On a TTY a mistyped code or URL is asked again (upstream still burns a code after 5 wrong
  // tries); with --answers the first refusal ends the run.
  while (!grant) {
    brokerUrl ??= await ui.text({
      key: 'brokerUrl',
      message: 'Broker URL (from the upstream operator)',
      placeholder: 'mqtts://broker.example:8883',
      validate: (v) =>
        /^(mqtts?|wss?):\/\//.test(v) ? undefined : 'expected mqtt://host:port or mqtts://host:port',
    });
    account ??= await askAccount(ui);
    code ??= await ui.text({
      key: 'enrolmentCode',
      message: 'One-time enrolment code (printed by `veriterm upstream enrol`)',
      placeholder: 'XXXXX-XXXXX',
      validate: (v) =>
        normalizeEnrolmentCode(v) ? undefined : 'expected 10 letters/digits like K7QF2-9M2XA',
    });
    ui.info(`asking upstream through ${brokerUrl} …`);
    try {
      grant = await requestEnrolment({
        brokerUrl,
        code,
        ...ids,
        identity,
        timeoutMs: answers.enrolTimeoutMs,
        ...(answers.brokerCaFile ? { caFile: answers.brokerCaFile } : {}),
        ...(account.username !== undefined ? { username: account.username } : {}),
        ...(account.password !== undefined ? { password: account.password } : {}),
      });
      enrolledVia = brokerUrl;
    } catch (error) {
      const retry = retryable(error);
      if (!ui.interactive || !retry) throw error;
      ui.warn((error as Error).message);
      // Only the refused answer is asked again; every other answer is kept.
      if (retry === 'code' && answers.enrolmentCode === undefined) code = undefined;
      else if (retry === 'broker' && answers.brokerUrl === undefined) brokerUrl = undefined;
      else if (retry === 'account') account = undefined;
      else throw error;
    }
  }
  // Computed here from the root itself; nothing upstream says about its own fingerprint is trusted.
  const fingerprint = rootFingerprint(grant.registry.root);
  ui.info(`registry root fingerprint (scope ${grant.registry.scope}):\n   ${fingerprint}`);
  if (answers.rootFingerprint !== undefined) {
    if (normalizeFingerprint(answers.rootFingerprint) !== normalizeFingerprint(fingerprint))
      throw mismatch(fingerprint);
  } else {
    const same = await ui.confirm({
      key: 'rootFingerprint',
      message: 'Is this exactly the fingerprint upstream printed?',
      initial: false,
    });
    if (!same) throw mismatch(fingerprint);
  }
  ui.success('registry root confirmed');

  const pinned = pinRoot(staging.registryDb, JSON.stringify(grant.registry.root), {
    scope: grant.registry.scope,
    replace: true,
  });
  if (!pinned.ok)
    throw new VeritermError(
      'bad_root',
      `upstream sent a registry root that cannot be pinned: ${pinned.message}`,
    );
  mkdirSync(staging.credentialsDir, { recursive: true, mode: 0o700 });
  const secret = (file: string, text: string) => {
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600);
  };
  const b = grant.broker;
  const credentials = {
    password: b.password !== undefined,
    clientCert: b.certPem !== undefined && b.keyPem !== undefined,
    ca: b.caPem !== undefined,
  };
  if (credentials.password)
    secret(staging.brokerCredentials, `${JSON.stringify({ username: b.username, password: b.password })}\n`);
  if (credentials.clientCert) {
    secret(staging.clientCert, b.certPem!);
    secret(staging.clientKey, b.keyPem!);
  }
  if (b.caPem) secret(staging.brokerCa, b.caPem);
  secret(staging.upstreamKeys, `${JSON.stringify({ commandKeys: grant.commandKeys })}\n`);
  const finalUrl = b.url ?? enrolledVia;
  secret(
    staging.enrolment,
    `${JSON.stringify({ ...ids, scope: grant.registry.scope, rootFingerprint: fingerprint, brokerUrl: finalUrl, username: b.username, keyId: identity.keyId, enrolledAt: new Date().toISOString() }, null, 2)}\n`,
  );
  return { grant, brokerUrl: finalUrl, fingerprint, credentials };
}

/** Which answer to ask again after a refusal, if any. */
function retryable(error: unknown): 'code' | 'broker' | 'account' | undefined {
  if (!(error instanceof VeritermError)) return undefined;
  if (error.code === 'bad_code' || error.code === 'code_expired') return 'code';
  if (error.code === 'broker_refused') return 'account';
  if (error.code === 'broker_unreachable' || error.code === 'broker_tls') return 'broker';
  return undefined;
}

interface EnrolAccount {
  username?: string;
  password?: string;
}

/** The enrolment account from the answers; undefined (to be asked) when neither part is given on a TTY. */
function accountOf(answers: Answers): EnrolAccount | undefined {
  if (answers.enrolUsername === undefined && answers.enrolPassword === undefined) {
    // Without a TTY no account means the broker's enrolment listener takes anonymous logins.
    return undefined;
  }
  return {
    ...(answers.enrolUsername !== undefined ? { username: answers.enrolUsername } : {}),
    ...(answers.enrolPassword !== undefined ? { password: answers.enrolPassword } : {}),
  };
}

/**
 * The broker's enrolment listener takes a low-privilege password login (an enrolling terminal has
 * no certificate yet): the upstream operator hands out its user name and password with the code.
 * Without a TTY, no account answers means none (an anonymous enrolment listener).
 */
async function askAccount(ui: ProvisionUi): Promise<EnrolAccount> {
  if (!ui.interactive) return {};
  const username = await ui.text({
    key: 'enrolUsername',
    message: 'Enrolment account user name (from the upstream operator; empty if none)',
    placeholder: 'enrol',
  });
  if (username === '') return {};
  const password = await ui.text({
    key: 'enrolPassword',
    message: `Password of the enrolment account ${username}`,
    secret: true,
  });
  return { username, password };
}

function mismatch(fingerprint: string): VeritermError {
  return new VeritermError(
    'fingerprint_mismatch',
    `the registry root fingerprint ${fingerprint} does not match the one upstream printed: do not use this terminal with that broker; nothing was stored. Check you are on the right network, then ask upstream for a new code (this one is used up).`,
  );
}
