import { execFileSync } from 'node:child_process';
import { VeritermError } from '../terminal/errors.js';

/** A system account the units run as, as the passwd database knows it. */
export interface ServiceAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface AccountSpec {
  name: string;
  /** Home directory; not created here (systemd's StateDirectory= creates it owned by the user). */
  home: string;
  comment: string;
}

/** useradd's own rule for portable names (shadow's NAME_REGEX default), 32 characters at most. */
const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
/** Shells that refuse an interactive login. */
const NO_LOGIN = new Set(['/usr/sbin/nologin', '/sbin/nologin', '/bin/false', '/usr/bin/false']);

export type RunTool = (bin: string, args: string[]) => string;

const runTool: RunTool = (bin, args) =>
  execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The account from `getent passwd` (files, LDAP… as nsswitch says), or undefined when unknown. */
export function lookupAccount(name: string, run: RunTool = runTool): ServiceAccount | undefined {
  let line: string;
  try {
    line = run('getent', ['passwd', name]).trim();
  } catch {
    return undefined; // getent exits 2 for an unknown name
  }
  const [, , uid, gid, , home, shell] = line.split(':');
  return { name, uid: Number(uid), gid: Number(gid), home: home ?? '', shell: shell ?? '' };
}

/**
 * Creates a system user with a group of the same name (the group the udev rules grant the
 * devices to), no home created and no login shell; an existing account is kept when it cannot
 * log in, and refused when it can (running the service as someone's login account would hand
 * that person the terminal key).
 */
export function ensureSystemUser(spec: AccountSpec, run: RunTool = runTool): ServiceAccount {
  if (!NAME.test(spec.name)) {
    throw new VeritermError(
      'service_user_invalid',
      `service user name ${JSON.stringify(spec.name)} is not valid: expected 1-32 of a-z 0-9 _ - starting with a letter or _`,
    );
  }
  const existing = lookupAccount(spec.name, run);
  if (existing) {
    if (!NO_LOGIN.has(existing.shell)) {
      throw new VeritermError(
        'service_user_can_log_in',
        `user ${spec.name} already exists with login shell ${existing.shell}: the service must run as an account nobody logs in with; run \`usermod --shell /usr/sbin/nologin ${spec.name}\` or choose another serviceUser`,
      );
    }
    return existing;
  }
  try {
    run('useradd', [
      '--system',
      '--user-group',
      '--home-dir',
      spec.home,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      '--comment',
      spec.comment,
      spec.name,
    ]);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new VeritermError(
      'service_user_not_created',
      `could not create the system user ${spec.name} (useradd: ${stderr || (error as Error).message}); provisioning needs root to create it`,
      { cause: error },
    );
  }
  const created = lookupAccount(spec.name, run);
  if (!created) {
    throw new VeritermError('service_user_not_created', `useradd ran but getent does not know ${spec.name}`);
  }
  return created;
}

/** The same accounts as shell commands, for a technician who installs the units by hand. */
export function accountCommands(specs: AccountSpec[]): string[] {
  return specs.map(
    (s) =>
      `getent passwd ${s.name} >/dev/null || useradd --system --user-group --home-dir ${s.home} --no-create-home --shell /usr/sbin/nologin --comment '${s.comment}' ${s.name}`,
  );
}
