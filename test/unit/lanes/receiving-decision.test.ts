import { describe, expect, it } from 'vitest';
import { parseCode } from '../../../terminal/codes/index.js';
import { validateConfig } from '../../../terminal/config/load-config.js';
import { checkResponse, decideLine } from '../../../terminal/lanes/line-decision.js';
import type { Approval } from '../../../terminal/ledger/payloads.js';
import { RECEIVING_MODES, type ReceivingMode } from '../../../terminal/receiving/options.js';
import { VERDICT_KINDS, type Verdict, type VerdictKind } from '../../../terminal/verify/types.js';

/**
 * receiving.mode in the one line decision (terminal/lanes/line-decision.ts), exhaustively: every
 * verdict × sellable or not × unit code / product-only / unreadable × received or not × approval
 * × mode, against the rules of issue 18 written out here independently:
 * - off: exactly the decision without receiving;
 * - a flag only on a unit code, received nowhere here, on a line not refused for its verdict;
 * - warn: the outcome stays, the message gains the note;
 * - enforce: a line sellable by its verdict becomes overridable (reason `not_received`) unless a
 *   manager approved it, and then it is sold with the approval recorded.
 */

const CODES = {
  cn20: parseCode('69012340000000011234'),
  gs1: parseCode(']d20109506000134352175305311010X1\u001d21S1'),
  gtin: parseCode(']E06901234567892'),
  none: parseCode('hello?'),
} as const;
type CodeKind = keyof typeof CODES;

const APPROVAL: Approval = { by: 'm1', reason: 'invoice on file' };

function verdictOf(kind: VerdictKind, sellable: boolean, code: CodeKind, received: boolean): Verdict {
  const parsed = CODES[code];
  return {
    verdict: kind,
    reason: `${kind}_reason`,
    sellable,
    history: { checksHere: 0 },
    checkedAt: '2026-12-07T10:00:00.000Z',
    ...(parsed.ok ? { code: parsed } : { parseError: parsed.error }),
    ...(received ? { received: { supplier: '华东医药', at: '2026-12-06T08:00:00.000Z' } } : {}),
  };
}

describe('decideLine with receiving.mode', () => {
  it('follows the rules for every verdict, code kind, receipt, approval and mode', () => {
    let flagged = 0;
    for (const kind of VERDICT_KINDS) {
      for (const sellable of kind === 'genuine' ? [true] : [false, true]) {
        for (const code of kind === 'malformed' ? (['none'] as const) : (['cn20', 'gs1', 'gtin'] as const)) {
          for (const received of [false, true]) {
            for (const approval of [undefined, APPROVAL]) {
              const verdict = verdictOf(kind, sellable, code, received);
              const plain = decideLine(verdict, approval);
              for (const mode of RECEIVING_MODES) {
                const what = `${kind}/sellable=${sellable}/${code}/received=${received}/approval=${!!approval}/${mode}`;
                const d = decideLine(verdict, approval, { receiving: mode });
                const unit = code === 'cn20' || code === 'gs1';
                const flag = mode !== 'off' && unit && !received && plain.outcome !== 'refused';
                expect(d.flag, what).toBe(flag ? 'not_received' : undefined);
                if (!flag) {
                  expect(d, what).toEqual(plain);
                  continue;
                }
                flagged++;
                expect(d.alert, what).toBeUndefined();
                expect(d.writeOff, what).toBe(plain.writeOff);
                expect(d.message.toLowerCase(), what).toContain('not received by this store');
                if (mode === 'warn') {
                  expect({ ...d, flag: undefined, message: plain.message }, what).toEqual({
                    ...plain,
                    flag: undefined,
                  });
                } else if (plain.outcome === 'overridable') {
                  // Not sellable by its verdict: the same approval sells it, for both reasons.
                  expect(d.outcome, what).toBe('overridable');
                } else if (approval) {
                  expect(d, what).toMatchObject({ outcome: 'sellable', override: APPROVAL });
                } else {
                  expect(d, what).toMatchObject({ outcome: 'overridable', reason: 'not_received' });
                  expect(d.override, what).toBeUndefined();
                }
                if (!approval) {
                  const check = checkResponse(verdict, { receiving: mode });
                  expect(check, what).toMatchObject({
                    decision: d.outcome,
                    reason: d.reason,
                    flag: 'not_received',
                  });
                }
              }
            }
          }
        }
      }
    }
    expect(flagged).toBeGreaterThan(20);
  });

  it('a unit the registry reports received at this store (received_here) is not flagged', () => {
    const verdict = { ...verdictOf('genuine', true, 'cn20', false), reason: 'received_here' };
    for (const mode of RECEIVING_MODES)
      expect(decideLine(verdict, undefined, { receiving: mode })).toEqual(decideLine(verdict));
  });

  it('check carries the received supplier and day, never the flag, for a received unit', () => {
    const check = checkResponse(verdictOf('genuine', true, 'cn20', true), { receiving: 'enforce' });
    expect(check).toMatchObject({ decision: 'sellable', received: { supplier: '华东医药' } });
    expect(check.flag).toBeUndefined();
  });
});

describe('config receiving.mode', () => {
  const mode = (input: unknown) => {
    const result = validateConfig(input);
    return result.ok ? result.config.receiving.mode : result.issues;
  };

  it('defaults to off and takes each mode', () => {
    expect(mode({})).toBe('off');
    for (const m of RECEIVING_MODES) expect(mode({ receiving: { mode: m } })).toBe(m satisfies ReceivingMode);
  });

  it('names a mistyped mode with the value meant, and an unknown field with the field meant', () => {
    expect(mode({ receiving: { mode: 'Warn' } })).toEqual([
      {
        path: 'receiving.mode',
        value: '"Warn"',
        expected: "expected 'off', 'warn' or 'enforce' (did you mean 'warn'?)",
      },
    ]);
    expect(mode({ receiving: { mode: 'enforced' } })).toEqual([
      expect.objectContaining({ expected: expect.stringContaining("did you mean 'enforce'?") }),
    ]);
    expect(mode({ receiving: { mode: 'strict' } })).toEqual([
      expect.objectContaining({ expected: "expected 'off', 'warn' or 'enforce'" }),
    ]);
    expect(mode({ receiving: { mode: true } })).toEqual([
      expect.objectContaining({ path: 'receiving.mode', value: 'true' }),
    ]);
    expect(mode({ receiving: { mdoe: 'warn' } })).toEqual([
      expect.objectContaining({
        path: 'receiving.mdoe',
        expected: expect.stringContaining("did you mean 'mode'?"),
      }),
    ]);
    expect(mode({ recieving: { mode: 'warn' } })).toEqual([
      expect.objectContaining({
        path: 'recieving',
        expected: expect.stringContaining("did you mean 'receiving'?"),
      }),
    ]);
  });
});
