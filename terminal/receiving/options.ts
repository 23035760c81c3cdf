import { z } from 'zod';
import { closestField } from '../config/known-fields.js';

/** How checkout uses the store's receiving (docs/receiving.md, "Verdicts use it"). */
export const RECEIVING_MODES = ['off', 'warn', 'enforce'] as const;
export type ReceivingMode = (typeof RECEIVING_MODES)[number];

/**
 * "expected 'off', 'warn' or 'enforce'", with the value meant when the one given is close
 * (`Warn`, `enforced`): the config loader names the field and the value given.
 */
function modeError(issue: { input?: unknown }): string {
  const given = typeof issue.input === 'string' ? issue.input : undefined;
  const meant = given === undefined ? undefined : closestField(given, RECEIVING_MODES);
  return `expected 'off', 'warn' or 'enforce'${meant ? ` (did you mean '${meant}'?)` : ''}`;
}

/**
 * The `receiving` section of the terminal config, owned here and composed into terminal/config
 * like sync's: unknown keys are refused and named.
 */
export const receivingOptionsSchema = z.strictObject({
  /**
   * `off`: receiving plays no part in verdicts (no lookup at checkout or at the kiosk).
   * `warn`: a unit this store never checked in is sold with a note on its line, and a `diversion`
   * alert goes upstream. `enforce`: such a unit needs a manager's override, and the alert goes
   * upstream whether it is sold or not. With `warn` and `enforce` the kiosk also shows when and
   * from which supplier a received unit came. Default `off`, so stores roll receiving out first
   * and switch verdicts on once their stock is checked in. @default 'off'
   */
  mode: z.enum(RECEIVING_MODES, { error: modeError }).default('off'),
});

export type ReceivingOptions = z.infer<typeof receivingOptionsSchema>;
