/**
 * The messages between a {@link WorkerAdapter} on the main thread and the adapter it runs in a
 * worker thread. Values cross by structured clone (bigint ids, Dates, Maps and Buffers keep their
 * types); errors cross as their fields and are rebuilt on the main thread.
 */

/** Main thread → worker. */
export type ToWorker =
  /** Calls an adapter method; `id` pairs the answer with the call. */
  | { op: 'call'; id: number; method: string; args: unknown[] }
  /** The uid key changed: later calls encode and decode ids with it (null: no key yet). */
  | { op: 'key'; key: Uint8Array | null };

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  message: string;
  stack?: string | undefined;
  /** A StoreError's code, or a driver's error code. */
  code?: string | undefined;
  /** Whether it was a StoreError. */
  store: boolean;
}

/** Worker → main thread. */
export type FromWorker =
  | { op: 'result'; id: number; value: unknown; /** Message ids the save assigned, in order. */ msgIds?: number[] }
  | { op: 'error'; id: number; error: WireError }
  /** A progress line of a long call (`upgradeDb`'s log). */
  | { op: 'log'; id: number; line: string }
  /** The worker is up. */
  | { op: 'ready' };

/** What the worker is started with. */
export interface WorkerInit {
  /** The adapter's registry name (`sqlite`). */
  name: string;
  config: unknown;
  maxResults: number;
}
