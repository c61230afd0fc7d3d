import type { Adapter } from '../contract/adapter.js';
import type { MessageBatch } from '../contract/types.js';

interface Waiting {
  readonly batch: MessageBatch;
  resolve(): void;
  reject(err: unknown): void;
}

/** At most this many topics' batches go into one transaction. */
const MAX_BATCHES_PER_COMMIT = 256;

/**
 * Group commit across topics: every batch of messages handed in while the event loop turns (and
 * while earlier commits are in flight) goes to the database in one transaction, so one fsync
 * stores the messages of many topics. Each caller's promise settles when the transaction holding
 * its batch has committed (or failed), never before.
 *
 * A transaction that fails is not the fault of every batch in it: each batch of a failed group is
 * then committed alone, so only the batch the database refuses fails (and its topic tries its
 * messages one by one, as before). A single batch goes to the adapter's own `messageSaveAll`.
 *
 * A topic hands in its next messages only after its previous batch settled (seq ids stay in
 * order); marks of notes may be in flight beside them. Over a pool, commits that touch the same
 * rows wait for each other, and one the database aborts (a deadlock) is retried batch by batch.
 * The queue holds at most a batch of messages and a few of marks per live topic.
 */
/** What a commit did, for the server's metrics. */
export interface CommitObserved {
  /** Topics' batches in the transaction. */
  readonly batches: number;
  readonly messages: number;
  readonly seconds: number;
  /** False when the group failed and its batches went one by one. */
  readonly ok: boolean;
}

export class GroupCommit {
  readonly #a: Adapter;
  #waiting: Waiting[] = [];
  #inFlight = 0;
  #scheduled = false;
  #observer: ((c: CommitObserved) => void) | null = null;

  constructor(adapter: Adapter) {
    this.#a = adapter;
  }

  /** Tells `fn` of every commit (one observer). */
  observe(fn: (c: CommitObserved) => void): void {
    this.#observer = fn;
  }

  /** Stores `batch` in the next commit; settles when that commit has. */
  add(batch: MessageBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ batch, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0 || this.#inFlight >= Math.max(1, this.#a.commitConcurrency)) {
      return;
    }
    this.#scheduled = true;
    // After the I/O of this turn, so that what arrived with it joins the same commit.
    setImmediate(() => {
      this.#scheduled = false;
      const group = this.#waiting.splice(0, MAX_BATCHES_PER_COMMIT);
      if (group.length === 0) {
        return;
      }
      this.#inFlight++;
      void this.#commit(group).finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
      this.#schedule();
    });
  }

  async #commit(group: Waiting[]): Promise<void> {
    const started = performance.now();
    const report = (ok: boolean) =>
      this.#observer?.({ batches: group.length, messages: group.reduce((n, w) => n + w.batch.msgs.length, 0), seconds: (performance.now() - started) / 1000, ok });
    if (group.length > 1) {
      try {
        await this.#a.messageCommit(group.map((w) => w.batch));
        report(true);
        for (const w of group) w.resolve();
        return;
      } catch {
        // Each alone below: only the batch the database refuses fails.
      }
    }
    let ok = true;
    for (const w of group) {
      try {
        await this.#a.messageSaveAll(w.batch.topic, w.batch.msgs, w.batch.marks);
        w.resolve();
      } catch (err) {
        ok = false;
        w.reject(err);
      }
    }
    report(ok && group.length === 1);
  }
}
