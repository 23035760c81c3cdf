import type { Choice, ProvisionUi } from '../../../provisioning/ui.js';

/** An answer, or for a select a function picking among the options offered. */
type Answer = string | boolean | ((options: Choice<unknown>[]) => unknown);

export interface AskedQuestion {
  key: string;
  message: string;
  kind: 'text' | 'select' | 'confirm';
  secret?: boolean;
  options?: string[];
}

/**
 * The wizard's UI (provisioning/ui.ts) answering from a script: each question takes the next
 * answer queued under its key; a question with none left fails the test, naming it. Records
 * every question asked and every line said, in order.
 */
export function scriptedUi(script: Record<string, Answer[]>): ProvisionUi & {
  asked: AskedQuestion[];
  said: string[];
} {
  const queues = new Map(Object.entries(script).map(([k, v]) => [k, [...v]]));
  const asked: AskedQuestion[] = [];
  const said: string[] = [];
  const next = (q: AskedQuestion): Answer => {
    asked.push(q);
    const answer = queues.get(q.key)?.shift();
    if (answer === undefined) throw new Error(`unexpected question ${q.key}: ${q.message}`);
    return answer;
  };
  return {
    interactive: true,
    asked,
    said,
    step: (m) => said.push(`== ${m}`),
    info: (m) => said.push(m),
    warn: (m) => said.push(`WARN ${m}`),
    success: (m) => said.push(`OK ${m}`),
    text: async (q) => {
      const a = next({ key: q.key, message: q.message, kind: 'text', ...(q.secret ? { secret: true } : {}) });
      if (typeof a !== 'string') throw new Error(`answer for ${q.key} must be text`);
      const invalid = q.validate?.(a);
      if (invalid) throw new Error(`scripted answer "${a}" for ${q.key} is invalid: ${invalid}`);
      return a;
    },
    select: async <T>(q: { key: string; message: string; options: Choice<T>[] }) => {
      const a = next({
        key: q.key,
        message: q.message,
        kind: 'select',
        options: q.options.map((o) => o.label),
      });
      if (typeof a === 'function') return a(q.options as Choice<unknown>[]) as T;
      const hit = q.options.find((o) => o.value === a || o.label === a);
      if (!hit)
        throw new Error(`no option "${String(a)}" for ${q.key}: ${q.options.map((o) => o.label).join(', ')}`);
      return hit.value;
    },
    confirm: async (q) => {
      const a = next({ key: q.key, message: q.message, kind: 'confirm' });
      if (typeof a !== 'boolean') throw new Error(`answer for ${q.key} must be yes/no`);
      return a;
    },
  };
}
