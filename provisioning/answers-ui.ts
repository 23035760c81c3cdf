import { VeritermError } from '../terminal/errors.js';
import type { ProvisionUi } from './ui.js';

/** Answers-file field → the `veriterm provision` flag that sets it. */
const FLAGS: Record<string, string> = {
  storeId: '--store',
  terminalId: '--terminal',
  role: '--role',
  scanner: '--scanner',
  printer: '--printer',
  brokerUrl: '--broker',
  enrolmentCode: '--code',
  rootFingerprint: '--fingerprint',
  force: '--force',
  enrolUsername: '--enrol-user',
  enrolPassword: '--enrol-password',
  httpPort: '--http-port',
  locale: '--locale',
};

/** Non-interactive UI: messages go to a stream, and every question is a missing answer. */
export function answersUi(out: NodeJS.WritableStream): ProvisionUi {
  const missing = (key: string, message: string): never => {
    throw new VeritermError(
      'missing_answer',
      `no answer for "${message}": set "${key}" in the answers file${FLAGS[key] ? ` or pass ${FLAGS[key]}` : ''}`,
    );
  };
  return {
    interactive: false,
    step: (title) => out.write(`\n== ${title}\n`),
    info: (m) => out.write(`   ${m}\n`),
    warn: (m) => out.write(`   WARN ${m}\n`),
    success: (m) => out.write(`   OK ${m}\n`),
    text: async (q) => missing(q.key, q.message),
    select: async (q) => missing(q.key, q.message),
    confirm: async (q) => missing(q.key, q.message),
  };
}
