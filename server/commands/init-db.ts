import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../../src/config/load.js';
import { createOutput, type Output } from '../../src/term/output.js';
import { createProgress } from '../../src/term/progress.js';
import { CommandFailure, EXIT_USAGE } from '../../src/term/exit.js';
import { isStoreError } from '../store/contract/errors.js';
import { bundledSamplePath, readDataFile } from '../store/init/data-file.js';
import { loadData, type LoadSummary } from '../store/init/loader.js';
import { addRoot, makeRoot } from '../store/init/root.js';
import { Store } from '../store/store.js';

interface InitDbOptions {
  config?: string;
  db?: string;
  reset?: boolean;
  upgrade?: boolean;
  init: boolean;
  data?: string;
  addRoot?: string;
  makeRoot?: string;
}

/** Resolves `--data`: a path, or `sample` / `sample.json` for the bundled sample when no such file exists. */
export function resolveDataPath(arg: string): string {
  if (existsSync(arg)) {
    return arg;
  }
  if (arg === 'sample' || arg === 'sample.json') {
    return bundledSamplePath();
  }
  throw new CommandFailure(`--data: no file "${arg}" (use a data file in the format of tinode-db's data.json, or "sample" for the bundled sample)`, EXIT_USAGE);
}

/** What state the database is in, and what was done to it. */
type DbState = 'created' | 'reset' | 'upgraded' | 'ready';

async function prepareDatabase(store: Store, opts: InitDbOptions, out: Output): Promise<DbState> {
  let version: number | null = null;
  try {
    version = await store.dbVersion();
  } catch (err) {
    if (!isStoreError(err, 'db-not-initialized')) {
      throw err;
    }
  }
  if (version === null) {
    if (!opts.init) {
      throw new CommandFailure(`no Tinode database at ${store.describe()} (--no-init: not creating one)`);
    }
    out.info(`Creating the database at ${store.describe()}...`);
    await store.createDb(false);
    return 'created';
  }
  if (opts.reset) {
    out.info(`Resetting the database at ${store.describe()}: dropping all data...`);
    await store.createDb(true);
    return 'reset';
  }
  if (version !== store.schemaVersion) {
    if (!opts.upgrade) {
      throw new CommandFailure(
        `the database has schema version ${version}, this tinode uses ${store.schemaVersion}: back it up and run with --upgrade to keep the data, or --reset to start over`,
      );
    }
    out.info(`Upgrading the database from schema version ${version} to ${store.schemaVersion}...`);
    await store.upgradeDb((msg) => out.info(`  ${msg}`));
    return 'upgraded';
  }
  if (opts.upgrade) {
    out.info(`The database is already at schema version ${store.schemaVersion}.`);
    await store.upgradeDb((msg) => out.info(`  ${msg}`));
  }
  return 'ready';
}

function printSummary(out: Output, s: LoadSummary): void {
  const c = out.out;
  out.result(c.bold('Loaded:') + ` ${s.users.length} users, ${s.groupTopics.length} group topics, ${s.p2pTopics} p2p topics, ${s.groupSubscriptions} group subscriptions, ${s.messages} messages`);
  for (const u of s.users) {
    out.result(`  user  ${u.login.padEnd(12)} ${u.id}  password ${u.generated ? c.yellow(u.password) + ' (generated: note it now)' : u.password}`);
  }
  for (const t of s.groupTopics) {
    out.result(`  topic ${t.name.padEnd(12)} ${t.id}`);
  }
}

async function runInitDb(opts: InitDbOptions): Promise<void> {
  const out = createOutput();
  const { config, warnings } = loadConfig(opts.config, { db: opts.db });
  warnings.forEach((w) => out.warn(w));
  const dataPath = opts.data ? resolveDataPath(opts.data) : undefined;
  const data = dataPath ? readDataFile(dataPath) : undefined;
  // A one-shot command: no sockets to keep free, so no worker thread for the database.
  const store = await Store.open(config.store_config, { tokenKey: config.auth_config.token.key, offThread: false });
  try {
    out.info(`Database: ${store.describe()}`);
    const state = await prepareDatabase(store, opts, out);
    if (state === 'created' || state === 'reset') {
      out.info(`Database ready (schema version ${store.schemaVersion}).`);
    }
    // The ids of the data loaded below are made with the key the server will read them with.
    for (const n of await store.unlock()) {
      out[n.level](n.text);
    }
    if (data && dataPath) {
      if (state !== 'created' && state !== 'reset' && (await store.hasUsers())) {
        throw new CommandFailure(`the database at ${store.describe()} already holds users: not loading ${dataPath} over them (use --reset to replace all data)`);
      }
      out.info(`Loading ${dataPath}...`);
      const progress = createProgress();
      try {
        const summary = await loadData(store, data, dataPath, { p2pDelete: config.p2p_delete_enabled, progress });
        progress.stop();
        printSummary(out, summary);
      } finally {
        progress.stop();
      }
    }
    if (opts.makeRoot) {
      await makeRoot(store, opts.makeRoot);
      out.result(`User ${opts.makeRoot} is now root.`);
    }
    if (opts.addRoot) {
      const root = await addRoot(store, opts.addRoot);
      out.result(`Root user created: login ${root.login}, id ${root.id}, password ${root.password}${root.generated ? ' (generated: note it now, it is not shown again)' : ''}`);
    }
    out.info('All done.');
  } finally {
    await store.close();
  }
}

/** `tinode init-db`: create, reset or upgrade a database, load data, add or promote root users. */
export function initDbCommand(program: Command): void {
  program
    .command('init-db')
    .description('create, reset or upgrade a Tinode database; load sample data; add or promote root users')
    .option('--config <file>', 'tinode.conf to read store_config, auth_config.token.key and p2p_delete_enabled from')
    .option('--db <url>', 'the database: sqlite:PATH, mysql://user:pass@host:port/db or postgres://user:pass@host:port/db (default sqlite:./data/tinode.db)')
    .option('--reset', 'drop the database and create it empty again')
    .option('--upgrade', 'bring an older database schema up to date, keeping the data')
    .option('--no-init', 'fail instead of creating a database that does not exist')
    .option('--data <file>', 'load data in the format of tinode-db\'s data.json ("sample" loads the bundled sample)')
    .option('--add-root <user[:password]>', 'create a root user with this login (a strong password is generated if none is given)')
    .option('--make-root <uid>', 'give root access to an existing user, e.g. usrAbCDef123')
    .addHelpText(
      'after',
      `
Examples:
  tinode init-db --data sample                          SQLite at ./data/tinode.db with the sample users (alice/alice123 ...)
  tinode init-db --db mysql://root@127.0.0.1/tinode --data sample
  tinode init-db --db postgres://postgres@127.0.0.1/tinode --reset --data tinode-db/data.json
  tinode init-db --add-root admin

A new database (and one made again with --reset) gets a random token key and uid key of its own,
kept in the database, where "tinode serve" finds them; auth_config.token.key and
store_config.uid_key in the --config file replace them.
`,
    )
    .action(async (opts: InitDbOptions) => {
      try {
        await runInitDb(opts);
      } catch (err) {
        if (isStoreError(err) && ['policy', 'duplicate', 'malformed', 'user-not-found', 'db-version'].includes(err.code)) {
          throw new CommandFailure(err.message);
        }
        throw err;
      }
    });
}
