interface Job {
  readonly task: () => Promise<void> | void;
  readonly done: () => void;
  /** What the task is, for a report of a task that runs too long (made only then). */
  readonly label: Label;
}

/** What a task is: text, or a function that makes it (the report is rare, tasks are many). */
export type Label = string | (() => string);

/** The task running now: what it is and when it started (`performance.now()`, ms). */
export interface RunningTask {
  readonly label: Label;
  readonly since: number;
}

/**
 * Runs asynchronous tasks one at a time, in the order they were pushed: the inbox of a topic and
 * of a session. A task's failure is reported to `onError` and does not stop the queue. Tasks not
 * yet started can be dropped ({@link clear}), which is how a session that ended stops costing
 * anything for the messages it had queued.
 */
export class SerialQueue {
  private jobs: Job[] = [];
  /** A runner is scheduled or running. */
  private active = false;
  /** The task running now. */
  private current: RunningTask | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly onError: (err: unknown) => void,
    /** Called after each task, with the number of tasks still queued. */
    private readonly afterTask?: (remaining: number) => void,
  ) {}

  /** Queues a task; the returned promise settles when the task has run or was dropped (never rejects). */
  push(task: () => Promise<void> | void, label: Label = 'task'): Promise<void> {
    return new Promise<void>((done) => {
      this.jobs.push({ task, done, label });
      if (!this.active) {
        // Tasks start in a later microtask, never inside the caller's code.
        this.active = true;
        queueMicrotask(() => void this.run());
      }
    });
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.jobs.length + (this.current ? 1 : 0);
  }

  /** The task running now, if any. */
  get running(): RunningTask | null {
    return this.current;
  }

  /** Drops every task not yet started; the running one finishes. */
  clear(): void {
    const dropped = this.jobs;
    this.jobs = [];
    for (const job of dropped) {
      job.done();
    }
  }

  /** Settles when every task queued so far has run (or was dropped). */
  drain(): Promise<void> {
    if (!this.active && this.jobs.length === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    for (let job = this.jobs.shift(); job; job = this.jobs.shift()) {
      this.current = { label: job.label, since: performance.now() };
      try {
        await job.task();
      } catch (err) {
        this.onError(err);
      } finally {
        this.current = null;
        job.done();
      }
      this.afterTask?.(this.jobs.length);
    }
    this.active = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) {
      w();
    }
  }
}
