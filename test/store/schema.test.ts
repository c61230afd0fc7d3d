import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionSettingsOf, rawDb } from '../../server/store/adapter-access.js';
import type { Store } from '../../server/store/store.js';
import { runTinode } from '../helpers/cli.js';
import { newTestDb, openStore, testDbKinds, type TestDb } from '../helpers/databases.js';
import { describeColumns, describeIndexes } from '../helpers/introspect.js';
import { REFERENCE_INDEXES, REFERENCE_MYSQL, toPostgres } from './reference-schema.js';

const { kinds } = await testDbKinds();

describe.each(kinds)('schema on %s', (kind) => {
  let db: TestDb;
  let store: Store;
  beforeAll(async () => {
    db = newTestDb(kind);
    store = await openStore(db.url);
    await store.createDb(false);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  it.runIf(kind !== 'sqlite')("has the reference server's tables, columns, types and indexes (version 116)", async () => {
    const k = await rawDb(store);
    const database = connectionSettingsOf(store).database;
    const columns = await describeColumns(k, kind, database);
    const expected = Object.fromEntries(
      Object.entries(REFERENCE_MYSQL).map(([t, cols]) => [t, kind === 'postgres' ? cols.map(toPostgres) : cols]),
    );
    expect(columns).toEqual(expected);
    const indexes = await describeIndexes(k, kind, database);
    for (const [table, names] of Object.entries(REFERENCE_INDEXES)) {
      expect(indexes[table] ?? [], table).toEqual(expect.arrayContaining(names));
    }
    expect(await store.dbVersion()).toBe(116);
  });

  it.runIf(kind === 'sqlite')('keeps the same tables and columns on SQLite', async () => {
    const columns = await describeColumns(await rawDb(store), kind, 'main');
    for (const [table, cols] of Object.entries(REFERENCE_MYSQL)) {
      expect((columns[table] ?? []).map((c) => c.split(' ')[0]), table).toEqual(cols.map((c) => c.split(' ')[0]));
    }
  });

  it('upgrades a version 112 database to 116 without losing data', async () => {
    const k = await rawDb(store);
    const database = connectionSettingsOf(store).database;
    const fresh = { columns: await describeColumns(k, kind, database), indexes: await describeIndexes(k, kind, database) };
    await k('kvmeta').insert({ key: 'probe', value: 'kept' });
    if (kind === 'mysql') {
      // A 112 database has its own index for the foreign key on subscriptions.userid.
      await k.raw('CREATE INDEX subscriptions_userid_foreign ON subscriptions(userid)');
    }
    // Take the schema back to version 112: what the reference added in 113..116 goes away.
    await k.schema.alterTable('users', (t) => t.dropIndex([], 'users_lastseen_updatedat'));
    await k.schema.alterTable('kvmeta', (t) => t.dropIndex([], 'kvmeta_createdat_key'));
    await k.schema.alterTable('subscriptions', (t) => t.dropIndex([], 'subscriptions_userid_topic_deletedat'));
    await k.schema.alterTable('topics', (t) => t.dropIndex([], 'topics_name_state_seqid'));
    await k.schema.alterTable('kvmeta', (t) => t.dropColumn('createdat'));
    await k.schema.alterTable('topics', (t) => t.dropColumns('aux', 'subcnt'));
    await k.schema.alterTable('fileuploads', (t) => t.dropColumn('etag'));
    await k('kvmeta').where('key', 'version').update({ value: '112' });

    const refused = await runTinode(['init-db', '--db', db.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/schema version 112.*--upgrade/);

    const r = await runTinode(['init-db', '--db', db.url, '--upgrade']);
    expect(r.stderr).toMatch(/from schema version 112 to 116/);
    expect(r.code).toBe(0);
    // MySQL puts added columns in place, as the reference does; elsewhere they go last.
    const order = (cols: Record<string, string[]>) =>
      kind === 'mysql' ? cols : Object.fromEntries(Object.entries(cols).map(([t, c]) => [t, [...c].sort()]));
    expect(order(await describeColumns(k, kind, database))).toEqual(order(fresh.columns));
    expect(await describeIndexes(k, kind, database)).toEqual(fresh.indexes);
    expect(await store.pcache.get('probe')).toBe('kept');
    expect(await store.dbVersion()).toBe(116);
  });
});
