import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../terminal/db/open-database.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const STEPS = ['CREATE TABLE thing (id INTEGER PRIMARY KEY)', 'ALTER TABLE thing ADD COLUMN name TEXT'];

describe('migrate', () => {
  const tmp = makeTempDir('vt-migrate-');
  afterAll(() => tmp.cleanup());

  it('applies each step once, and a handle that brought a module up to date does not check it again', () => {
    const db = openDatabase(join(tmp.dir, 'a.db'));
    migrate(db, 'things', STEPS);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations WHERE module = ?').get('things')).toEqual({
      n: 2,
    });
    // Were the steps looked up again, the missing bookkeeping would make step 0 run again and fail.
    db.exec('DROP TABLE schema_migrations');
    expect(() => migrate(db, 'things', STEPS)).not.toThrow();
    db.close();
  });

  it('a new step added later still runs on the same handle, and another handle checks for itself', () => {
    const file = join(tmp.dir, 'b.db');
    const db = openDatabase(file);
    migrate(db, 'things', STEPS.slice(0, 1));
    migrate(db, 'things', STEPS);
    expect(
      db.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('thing') WHERE name = 'name'").get(),
    ).toEqual({
      n: 1,
    });
    db.close();
    const again = openDatabase(file);
    migrate(again, 'things', STEPS);
    expect(again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: 2 });
    again.close();
  });
});
