import { parentPort, workerData } from 'node:worker_threads';
import { UidGenerator } from '../../../src/model/uidgen.js';
import { StoreError } from '../contract/errors.js';
import { KeyedIds } from '../contract/keyed-ids.js';
import type { Message, MessageBatch } from '../contract/types.js';
import { SqlAdapter } from '../sql/sql-adapter.js';
import type { FromWorker, ToWorker, WireError, WorkerInit } from './protocol.js';

/**
 * The worker thread of a {@link WorkerAdapter}: it owns the database connection and runs the
 * adapter's calls one message at a time, in the order they come. Its event loop is the one that
 * waits for the disk, so the main thread's never does.
 */

const port = parentPort;
if (!port) {
  throw new Error('adapter-worker.ts runs as a worker thread (started by WorkerAdapter)');
}
const init = workerData as WorkerInit;

// Ids are encoded with the main thread's key, sent whenever it changes.
const ids = new KeyedIds();
const adapter = new SqlAdapter(init.name as 'sqlite', { config: init.config, maxResults: init.maxResults, ids });

function post(msg: FromWorker): void {
  port!.postMessage(msg);
}

function wireError(err: unknown): WireError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, stack: err.stack, code: code === undefined ? undefined : String(code), store: err instanceof StoreError };
  }
  return { name: 'Error', message: String(err), store: false };
}

/** The ids a message save assigned, to be written back into the caller's messages. */
function savedIds(method: string, args: unknown[]): number[] | undefined {
  switch (method) {
    case 'messageSave':
      return [(args[0] as Message).id];
    case 'messageSaveAll':
      return (args[1] as Message[]).map((m) => m.id);
    case 'messageCommit':
      return (args[0] as MessageBatch[]).flatMap((b) => b.msgs.map((m) => m.id));
    default:
      return undefined;
  }
}

/** Buffers cross as Uint8Arrays: the secrets of auth records are made Buffers again. */
function withBuffers(args: unknown[]): unknown[] {
  return args.map((a) => (a instanceof Uint8Array && !Buffer.isBuffer(a) ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a));
}

async function call(id: number, method: string, args: unknown[]): Promise<void> {
  try {
    let value: unknown;
    if (method === 'upgradeDb') {
      value = await adapter.upgradeDb((line) => post({ op: 'log', id, line }));
    } else {
      const fn = (adapter as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
      if (typeof fn !== 'function') {
        throw new StoreError('internal', `the store adapter has no method ${method}`);
      }
      value = await fn.apply(adapter, method === 'authAddRecord' || method === 'authUpdRecord' ? withBuffers(args) : args);
    }
    post({ op: 'result', id, value, msgIds: savedIds(method, args) });
  } catch (err) {
    post({ op: 'error', id, error: wireError(err) });
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.op === 'key') {
    ids.gen = msg.key ? new UidGenerator(0, msg.key) : null;
    return;
  }
  void call(msg.id, msg.method, msg.args);
});

post({ op: 'ready' });
