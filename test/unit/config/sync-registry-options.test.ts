import { describe, expect, expectTypeOf, it } from 'vitest';
import { validateConfig } from '../../../terminal/config/load-config.js';
import type { SyncOptions } from '../../../terminal/sync/options.js';

// `sync` is terminal/sync's own options schema and `registry` a strict object: a typo there is
// named like one at the top level, where it used to be dropped silently (the link then ran on a
// default the technician thought they had changed).

const sync = { brokerUrl: 'mqtts://broker:8883', storeId: 'S1', terminalId: 'T1' };

function issuesOf(input: unknown) {
  const result = validateConfig(input);
  if (result.ok) throw new Error('expected the config to be refused');
  return result.issues;
}

describe('config: sync and registry by their owners’ schemas', () => {
  it('names a typo in sync, nested ones included, with the field meant', () => {
    const issues = issuesOf({
      sync: { ...sync, brokerURL: 'mqtt://x', drain: { maxBatchByte: 2048 }, registry: { scope: ['cn'] } },
    });
    expect(issues.map((i) => i.path).sort()).toEqual([
      'sync.brokerURL',
      'sync.drain.maxBatchByte',
      'sync.registry.scope',
    ]);
    const byPath = new Map(issues.map((i) => [i.path, i.expected]));
    expect(byPath.get('sync.brokerURL')).toContain("did you mean 'brokerUrl'?");
    expect(byPath.get('sync.drain.maxBatchByte')).toContain("did you mean 'maxBatchBytes'?");
    expect(byPath.get('sync.registry.scope')).toContain("did you mean 'scopes'?");
  });

  it('names a typo in registry', () => {
    const issues = issuesOf({ registry: { fiel: '/var/lib/veriterm/registry.db' } });
    expect(issues.map((i) => i.path)).toEqual(['registry.fiel']);
    expect(issues[0]!.expected).toContain("did you mean 'file'?");
  });

  it('parses a valid sync section to the link’s typed options, defaults filled', () => {
    const result = validateConfig({ sync, registry: { file: '/tmp/r.db' } });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expectTypeOf(result.config.sync).toEqualTypeOf<SyncOptions | undefined>();
    expect(result.config.sync?.drain.maxInFlightBatches).toBe(24);
    expect(result.config.registry.file).toBe('/tmp/r.db');
  });
});
