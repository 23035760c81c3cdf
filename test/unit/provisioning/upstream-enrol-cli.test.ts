import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '../../../cli/main.js';
import { openDatabase } from '../../../terminal/db/open-database.js';
import { createRoot, generateSigningKey } from '../../../terminal/registry/index.js';
import { rootFingerprint } from '../../../upstream/enrolment-protocol.js';
import { EnrolmentStore } from '../../../upstream/enrolment-store.js';
import { runMerged } from '../../helpers/captured-io.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const tmp = makeTempDir('vt-enrol-cli-');
afterAll(() => tmp.cleanup());

const run = (argv: string[]) => runMerged(main, argv);

describe('veriterm upstream enrol', () => {
  test('prints a one-time code and the root fingerprint; the scope defaults to the only one published', async () => {
    const data = join(tmp.dir, 'up');
    mkdirSync(join(data, 'registry-keys'), { recursive: true });
    mkdirSync(join(data, 'registry', 'cn-east'), { recursive: true });
    const k = generateSigningKey();
    const root = createRoot({ rootKeys: [k], releaseKeys: [k] }, [k]);
    writeFileSync(join(data, 'registry-keys', 'root.json'), JSON.stringify(root));
    const r = await run(['upstream', 'enrol', '--data', data, '--store', 'S1', '--terminal', 'T1']);
    expect(r.code).toBe(0);
    const code = /T1: ([0-9A-Z]{5}-[0-9A-Z]{5})/.exec(r.text)?.[1];
    expect(code).toBeDefined();
    expect(r.text).toContain(`Registry root fingerprint: ${rootFingerprint(root)}`);
    expect(r.text).toContain('enrolment.json is missing');
    const db = openDatabase(join(data, 'upstream.db'));
    expect(new EnrolmentStore(db).latest('S1', 'T1')).toMatchObject({ code, scope: 'cn-east', usedAt: null });
    db.close();
  });

  test('several scopes under DIR/registry and no --scope: a usage error naming them, nothing issued', async () => {
    const data = join(tmp.dir, 'two');
    mkdirSync(join(data, 'registry-keys'), { recursive: true });
    for (const scope of ['cn-west', 'cn-east']) mkdirSync(join(data, 'registry', scope), { recursive: true });
    const k = generateSigningKey();
    writeFileSync(
      join(data, 'registry-keys', 'root.json'),
      JSON.stringify(createRoot({ rootKeys: [k], releaseKeys: [k] }, [k])),
    );
    const r = await run(['upstream', 'enrol', '--data', data, '--store', 'S1', '--terminal', 'T1']);
    expect(r.code).toBe(2);
    expect(r.text).toContain('2 registry scopes under');
    expect(r.text).toContain('(cn-east, cn-west); pass --scope');
    expect(r.text).not.toContain('Enrolment code');
  });

  test('missing flags are a usage error naming them', async () => {
    const r = await run(['upstream', 'enrol', '--data', tmp.dir, '--store', 'S1']);
    expect(r.code).toBe(2);
    expect(r.text).toContain('missing --terminal');
  });
});
