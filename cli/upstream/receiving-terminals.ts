import { UsageError } from '../../terminal/errors.js';
import { isTopicLevel } from '../../terminal/sync/topics.js';

/** `--receiving-terminal STORE=TERMINAL` values → `transfers.receivingTerminals`; a bad one is named. */
export function receivingTerminals(values: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const [store, terminal, ...rest] = v.split('=');
    if (!store || !terminal || rest.length > 0 || !isTopicLevel(store) || !isTopicLevel(terminal))
      throw new UsageError(
        `veriterm upstream: --receiving-terminal ${JSON.stringify(v)}: expected STORE=TERMINAL (ids of A-Z a-z 0-9 _ . -)`,
      );
    out[store] = terminal;
  }
  return out;
}
