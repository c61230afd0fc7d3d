import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adapterOf } from '../../server/store/adapter-access.js';
import { isStoreError } from '../../server/store/contract/errors.js';
import { Store } from '../../server/store/store.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { userId } from '../../src/model/uid.js';
import { makeMsg, makeTopic, makeUser } from './conformance-fixtures.js';

/**
 * A server's SQLite connection lives in a worker thread (`store_config.adapters.sqlite.worker`, on
 * by default): the main thread, which serves every socket, only sends calls and gets answers, so
 * a commit waiting for the disk or for a lock never holds its event loop. The adapter contract
 * itself is checked on the worker by test/store/conformance.test.ts; this file checks what the
 * thread boundary adds.
 */
describe('SQLite in a worker thread', () => {
  let dir: string;
  let path: string;
  let store: Store | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinode-worker-'));
    path = join(dir, 'tinode.db');
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(adapterConfig: Record<string, unknown> = {}, offThread?: boolean, warn?: (text: string) => void): Promise<Store> {
    const { config } = loadConfig(undefined, { db: `sqlite:${path}` });
    const sqlite = { ...(config.store_config.adapters.sqlite as object), ...adapterConfig };
    const s = await Store.open({ ...config.store_config, adapters: { ...config.store_config.adapters, sqlite } }, { ...(offThread === undefined ? {} : { offThread }), warn });
    store = s;
    await s.createDb(false);
    await s.unlock();
    return s;
  }

  it('a write waiting for a lock leaves the event loop free: the holder, on the main thread, releases it and the write is stored', async () => {
    const s = await open();
    expect(adapterOf(s).constructor.name).toBe('WorkerAdapter');
    const holder = new Database(path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const write = s.pcache.upsert('probe', 'stored', false);
      // On the main thread the write would wait for the lock here, synchronously, and this timer
      // (and every socket) with it, until SQLite gave up with SQLITE_BUSY.
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (++ticks === 5) {
            clearInterval(timer);
            resolve();
          }
        }, 20);
      });
      holder.exec('COMMIT');
      await write;
    } finally {
      holder.close();
    }
    expect(await s.pcache.get('probe')).toBe('stored');
  });

  it("errors cross the thread as the store's errors, with their codes", async () => {
    const s = await open();
    await s.pcache.upsert('once', 'a', true);
    const err = await s.pcache.upsert('once', 'b', true).catch((e: unknown) => e);
    expect(isStoreError(err, 'duplicate')).toBe(true);
    expect(await s.pcache.get('once')).toBe('a');
  });

  it('ids cross both ways under the key of the database, and messages get the ids the database gave them', async () => {
    const s = await open();
    const a = adapterOf(s);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const owner = makeUser(s.newUid(), at);
    await a.userCreate(owner);
    expect((await a.userGet(owner.id))?.id).toBe(owner.id);
    const topic = makeTopic('grp' + userId(s.newUid()).slice(3), owner.id, at);
    await a.topicCreate(topic);
    const msgs = [makeMsg(topic.name, 1, owner.id, at), makeMsg(topic.name, 2, owner.id, at)];
    await a.messageSaveAll(topic.name, msgs);
    expect(msgs.map((m) => m.id > 0)).toEqual([true, true]);
    expect(new Set(msgs.map((m) => m.id)).size).toBe(2);
    const read = await a.messageGetAll(topic.name, owner.id);
    expect(read.map((m) => [m.seqId, m.from])).toEqual(expect.arrayContaining([[1, owner.id], [2, owner.id]]));
  });

  it('a database thread that dies is started again: what was in flight fails, the next calls wait for the new thread and are served', async () => {
    const warnings: string[] = [];
    const s = await open({}, undefined, (text) => warnings.push(text));
    const a = adapterOf(s);
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const owner = makeUser(s.newUid(), at);
    await a.userCreate(owner);
    // The thread ends as a crash would end it (the adapter's own handle on it, from outside).
    const thread = (a as unknown as { worker: Worker }).worker;
    const inFlight = a.userGet(owner.id);
    await thread.terminate();
    await expect(inFlight).rejects.toThrow(/exited/);
    // The next calls are served by a new thread, on the same database.
    expect((await a.userGet(owner.id))?.id).toBe(owner.id);
    const other = makeUser(s.newUid(), at);
    await a.userCreate(other);
    expect((await a.userGetAll([owner.id, other.id])).length).toBe(2);
    expect(warnings.join('\n')).toMatch(/exited.*starting the database thread again/);
    expect(warnings.join('\n')).toMatch(/database thread is running again/);
  });

  it('"worker": false keeps the connection on the main thread, and a one-shot command (offThread: false) never starts a worker', async () => {
    expect(adapterOf(await open({ worker: false })).constructor.name).toBe('SqlAdapter');
    await store?.close();
    rmSync(path, { force: true });
    expect(adapterOf(await open({}, false)).constructor.name).toBe('SqlAdapter');
  });

  it('a worker setting that is not a boolean is a config error naming the key', async () => {
    const err = await open({ worker: 'yes' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toContain('store_config.adapters.sqlite.worker');
  });
});
