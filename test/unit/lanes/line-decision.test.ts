import { describe, expect, it } from 'vitest';
import { parseCode } from '../../../terminal/codes/index.js';
import { checkResponse, decideLine } from '../../../terminal/lanes/line-decision.js';
import type { Approval } from '../../../terminal/ledger/payloads.js';
import { VERDICT_KINDS, type Verdict, type VerdictKind } from '../../../terminal/verify/types.js';

/**
 * The one line decision of checkout (terminal/lanes/line-decision.ts), exhaustively: every verdict
 * × approval given or not × the four policy configs (expired / unverifiable: block or allow) ×
 * the kinds of code a verdict can come with, against the rules of DESIGN.md "Verdicts" written
 * out here independently of the implementation.
 */

const CONFIGS = [
  { expiredPolicy: 'block', unverifiablePolicy: 'block' },
  { expiredPolicy: 'allow', unverifiablePolicy: 'block' },
  { expiredPolicy: 'block', unverifiablePolicy: 'allow' },
  { expiredPolicy: 'allow', unverifiablePolicy: 'allow' },
] as const;
type Config = (typeof CONFIGS)[number];

const CODES = {
  cn20: parseCode('69012340000000011234'),
  gs1: parseCode(']d20109506000134352175305311010X1\u001d21S1'),
  gtin: parseCode(']E06901234567892'),
  none: parseCode('hello?'),
} as const;
type CodeKind = keyof typeof CODES;

/** Which kinds of code a verdict can carry (malformed: none; product-only codes reach only these). */
function codeKindsOf(kind: VerdictKind): CodeKind[] {
  if (kind === 'malformed') return ['none'];
  if (kind === 'unverifiable' || kind === 'withdrawn' || kind === 'expired') return ['cn20', 'gs1', 'gtin'];
  return ['cn20', 'gs1'];
}

/** The policy's `sellable` for a verdict under a config (DESIGN.md: expired and unverifiable are configurable). */
function sellableUnder(kind: VerdictKind, config: Config): boolean {
  if (kind === 'genuine') return true;
  if (kind === 'expired') return config.expiredPolicy === 'allow';
  if (kind === 'unverifiable') return config.unverifiablePolicy === 'allow';
  return false;
}

function verdictOf(kind: VerdictKind, code: CodeKind, config: Config, mismatch: boolean): Verdict {
  const parsed = CODES[code];
  return {
    verdict: kind,
    reason: mismatch ? 'batch_mismatch' : `${kind}_reason`,
    sellable: sellableUnder(kind, config),
    history: { checksHere: 0 },
    checkedAt: '2026-11-28T06:00:00.000Z',
    ...(parsed.ok ? { code: parsed } : { parseError: parsed.error }),
    ...(kind === 'already_sold'
      ? { sold: { where: 'here' as const, storeId: 's', at: '2026-11-01T00:00:00.000Z', saleId: 'S1' } }
      : {}),
    ...(mismatch ? { mismatch: { batch: { scanned: 'X1', registered: 'L1' } } } : {}),
  };
}

const APPROVAL: Approval = { by: 'm1', reason: 'not covered yet' };

describe('decideLine', () => {
  it.each(VERDICT_KINDS)('%s: every approval × config × code kind follows the rules', (kind) => {
    let cases = 0;
    for (const config of CONFIGS) {
      for (const code of codeKindsOf(kind)) {
        // A mismatch rides only on unit codes, on the verdicts the policy can give with one.
        const mismatches =
          code === 'gs1' && kind !== 'genuine' && kind !== 'expired' && kind !== 'unverifiable'
            ? [false, true]
            : [false];
        for (const mismatch of mismatches) {
          for (const approval of [undefined, APPROVAL]) {
            const verdict = verdictOf(kind, code, config, mismatch);
            const d = decideLine(verdict, approval);
            const what = `${kind}/${code}/${JSON.stringify(config)}/mismatch=${mismatch}/approval=${!!approval}`;
            const sellable =
              sellableUnder(kind, config) || (kind === 'unverifiable' && approval !== undefined);
            const expected = sellable ? 'sellable' : kind === 'unverifiable' ? 'overridable' : 'refused';
            expect(d.outcome, what).toBe(expected);
            expect(d.reason, what).toBe(verdict.reason);
            expect(d.message.length, what).toBeGreaterThan(0);
            // Product-only lines never write off a key; unit lines write off their own key.
            expect(d.productOnly, what).toBe(code === 'gtin');
            expect(d.writeOff, what).toBe(code === 'cn20' || code === 'gs1' ? verdict.code!.key : undefined);
            // The approval is recorded only where it is what made (or could make) the line sellable.
            expect(d.override, what).toEqual(kind === 'unverifiable' && approval ? approval : undefined);
            const alert =
              expected !== 'refused' || code === 'none'
                ? undefined
                : kind === 'already_sold'
                  ? 'clone'
                  : mismatch
                    ? 'code_mismatch'
                    : kind === 'unknown'
                      ? 'unknown_code'
                      : undefined;
            expect(d.alert, what).toBe(alert);
            // check answers with the same decision (taken without an approval).
            if (!approval) {
              const check = checkResponse(verdict);
              expect(check.decision, what).toBe(d.outcome);
              expect(check.sellable, what).toBe(d.outcome === 'sellable');
              expect(check.overridable, what).toBe(d.outcome === 'overridable');
              expect(check.productOnly === true, what).toBe(code === 'gtin');
              expect(check.mismatch, what).toEqual(verdict.mismatch);
            }
            cases++;
          }
        }
      }
    }
    expect(cases).toBeGreaterThanOrEqual(8);
  });

  it('a sold code refused with the earlier sale in its message; a mismatch names both values', () => {
    const sold = decideLine(verdictOf('already_sold', 'cn20', CONFIGS[0], false));
    expect(sold.message).toBe(
      'Already sold on 2026-11-01T00:00:00.000Z at store s (sale S1): possible copied code',
    );
    const clone = decideLine(verdictOf('unknown', 'gs1', CONFIGS[0], true), APPROVAL);
    expect(clone).toMatchObject({ outcome: 'refused', alert: 'code_mismatch' });
    expect(clone.message).toContain('batch X1 on the pack, L1 registered: possible counterfeit');
    expect(decideLine(verdictOf('malformed', 'none', CONFIGS[0], false)).message).toMatch(
      /^Cannot read this code/,
    );
  });
});
