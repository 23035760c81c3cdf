/**
 * The store-day model test (issue 16): two stores, each a real terminal process, the reference
 * upstream with a signed registry, a spawned mosquitto behind a cuttable proxy per store; a seeded
 * random day of kiosk checks, sales (unit and EAN lines, overrides, bad lines), returns within and
 * outside the window, clock days passing, link drops, SIGKILL restarts (also in the middle of a
 * sale), recalls and new stock published by upstream, and settles. After every step the affected
 * stores' verdicts and sellability of every code are compared with the reference model
 * (lib/model.ts); see docs/testing.md for the knobs:
 *
 *   STOREDAY_SEED=n       replay a seed (printed on every run)
 *   STOREDAY_OPS=n        operations (default 500)
 *   STOREDAY_REPLAY=file  replay an op list written on failure (edit it to minimise)
 *   STOREDAY_EXCLUDE=a,b  leave op kinds out (local diagnosis only)
 *   STOREDAY_SKIP_CODES=ean,bm1  leave codes out of ops and sweeps (local diagnosis only)
 *   STOREDAY_FULL_CHECKS=1  checkout check of every code after every step
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { hasSystemTool } from '../helpers/system-tools.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { StoreDayModel } from './lib/model.js';
import { OP_KINDS, type Op, OpGenerator, type OpKind } from './lib/ops.js';
import { CODE_BY_NAME } from './lib/registry-fixture.js';
import { StoreDayRunner } from './lib/runner.js';
import { StoreDayStack } from './lib/stack.js';

const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
const env = process.env;
const replay = env.STOREDAY_REPLAY
  ? (JSON.parse(readFileSync(env.STOREDAY_REPLAY, 'utf8')) as { seed: number; ops: Op[] })
  : undefined;
const seed =
  replay?.seed ?? (env.STOREDAY_SEED ? Number(env.STOREDAY_SEED) : Math.floor(Math.random() * 2 ** 31));
const count = replay?.ops.length ?? Number(env.STOREDAY_OPS ?? 500);
const exclude = new Set((env.STOREDAY_EXCLUDE ?? '').split(',').filter(Boolean) as OpKind[]);
for (const kind of exclude) {
  if (!OP_KINDS.includes(kind))
    throw new Error(`STOREDAY_EXCLUDE: unknown op kind '${kind}'; expected some of ${OP_KINDS.join(', ')}`);
}
const skipCodes = new Set((env.STOREDAY_SKIP_CODES ?? '').split(',').filter(Boolean));
for (const name of skipCodes) {
  if (!CODE_BY_NAME.has(name))
    throw new Error(
      `STOREDAY_SKIP_CODES: no code '${name}'; expected some of ${[...CODE_BY_NAME.keys()].join(', ')}`,
    );
}
if ((exclude.size > 0 || skipCodes.size > 0) && env.CI === 'true') {
  throw new Error(
    'STOREDAY_EXCLUDE and STOREDAY_SKIP_CODES are for local diagnosis; CI runs every op and code',
  );
}
const without = [...exclude, ...skipCodes];

describe.skipIf(!hasSystemTool('mosquitto'))('store day: two stores against the reference model', () => {
  it(`${count} operations, seed ${seed}`, { timeout: 120_000 + count * 3_000 }, async () => {
    console.info(
      `store-day: seed ${seed}, ${count} ops${without.length ? `, without ${without.join(',')}` : ''}`,
    );
    const tmp = makeTempDir('vt-storeday-');
    const started = Date.now();
    const stack = await StoreDayStack.start(tmp.dir, ['S1', 'S2']);
    const model = new StoreDayModel();
    const runner = new StoreDayRunner(stack, model, {
      fullCheckSweeps: env.STOREDAY_FULL_CHECKS === '1',
      skipCodes,
    });
    const generator = new OpGenerator(seed, exclude, skipCodes);
    const ops: Op[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const op = replay ? replay.ops[i]! : generator.next(model);
        ops.push(op);
        await runner.step(op);
      }
      await runner.finish();
      console.info(
        `store-day: seed ${seed} passed: ${count} ops in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
          `${runner.stats.kioskComparisons} kiosk and ${runner.stats.checkComparisons} checkout comparisons; ` +
          `${JSON.stringify(runner.stats.outcomes)}; ms per kind ${JSON.stringify(runner.stats.ms)}`,
      );
    } catch (error) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = join(ARTIFACTS, `storeday-${seed}.json`);
      writeFileSync(file, `${JSON.stringify({ seed, ops }, null, 1)}\n`);
      const step = ops.length;
      const message = [
        `store-day FAILED at step ${step} of ${count} (seed ${seed}):`,
        `  op: ${JSON.stringify(ops.at(-1))}`,
        `  ${(error as Error).message}`,
        `Replay: STOREDAY_SEED=${seed} STOREDAY_OPS=${count} npx vitest run test/journeys/store-day.test.ts`,
        `  or exactly these ${step} ops (edit to minimise): STOREDAY_REPLAY=${file}`,
        'Last ops:',
        ...ops.slice(-12).map((op, i) => `  #${step - Math.min(12, step) + i + 1} ${JSON.stringify(op)}`),
        ...stack.stores.map((s) => `--- ${s.storeId} log tail ---\n${s.terminal.log().slice(-2000)}`),
        `--- upstream log tail ---\n${stack.upstreamLogTail().slice(-10).join('\n')}`,
      ].join('\n');
      throw new Error(message, { cause: error });
    } finally {
      await stack.close();
      tmp.cleanup();
    }
  });
});
