/**
 * Runs asynchronous tasks one at a time, in the order they were pushed: the inbox of a topic and
 * of a session. A task's failure is reported to `onError` and does not stop the queue.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly onError: (err: unknown) => void) {}

  /** Queues a task; the returned promise settles when the task has run (never rejects). */
  push(task: () => Promise<void> | void): Promise<void> {
    this.pending++;
    const run = async () => {
      try {
        await task();
      } catch (err) {
        this.onError(err);
      } finally {
        this.pending--;
      }
    };
    this.tail = this.tail.then(run);
    return this.tail;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Settles when every task queued so far has run. */
  drain(): Promise<void> {
    return this.tail;
  }
}
