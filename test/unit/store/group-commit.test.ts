import { describe, expect, it } from 'vitest';
import type { Adapter } from '../../../server/store/adapter-access.js';
import type { Message, MessageBatch } from '../../../server/store/contract/types.js';
import { GroupCommit } from '../../../server/store/facade/group-commit.js';

/** The adapter's neighbour: records the commits, holds each until released, refuses a poisoned topic. */
class FakeAdapter {
  commitConcurrency = 1;
  readonly commits: string[][] = [];
  readonly alone: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  #release: (() => void)[] = [];
  hold = false;

  async #run<T>(fn: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hold) await new Promise<void>((r) => this.#release.push(r));
      return fn();
    } finally {
      this.inFlight--;
    }
  }

  release(): void {
    for (const r of this.#release.splice(0)) r();
  }

  messageCommit(batches: readonly MessageBatch[]): Promise<void> {
    return this.#run(() => {
      this.commits.push(batches.map((b) => b.topic));
      if (batches.some((b) => b.topic === 'poison')) throw new Error('refused');
    });
  }

  messageSaveAll(topic: string): Promise<void> {
    return this.#run(() => {
      this.alone.push(topic);
      if (topic === 'poison') throw new Error('refused');
    });
  }
}

const batch = (topic: string): MessageBatch => ({ topic, msgs: [{ topic, seqId: 1 } as Message] });
const tick = () => new Promise((r) => setImmediate(r));

function setup(concurrency = 1) {
  const fake = new FakeAdapter();
  fake.commitConcurrency = concurrency;
  return { fake, commits: new GroupCommit(fake as unknown as Adapter) };
}

describe('GroupCommit', () => {
  it('commits the batches of several topics handed in in one turn in one transaction', async () => {
    const { fake, commits } = setup();
    await Promise.all(['a', 'b', 'c'].map((t) => commits.add(batch(t))));
    expect(fake.commits).toEqual([['a', 'b', 'c']]);
    expect(fake.alone).toEqual([]);
  });

  it("gives a single batch to the adapter's messageSaveAll", async () => {
    const { fake, commits } = setup();
    await commits.add(batch('a'));
    expect(fake.commits).toEqual([]);
    expect(fake.alone).toEqual(['a']);
  });

  it('settles each caller only after the commit holding its batch, and gathers what came meanwhile into the next', async () => {
    const { fake, commits } = setup();
    fake.hold = true;
    let firstDone = false;
    const first = commits.add(batch('a')).then(() => (firstDone = true));
    await tick();
    const later = ['b', 'c'].map((t) => commits.add(batch(t)));
    await tick();
    await tick();
    expect(firstDone).toBe(false);
    // One commit in flight at a time (SQLite): b and c wait for a's.
    expect(fake.inFlight).toBe(1);
    fake.hold = false;
    fake.release();
    await first;
    await Promise.all(later);
    expect(fake.alone).toEqual(['a']);
    expect(fake.commits).toEqual([['b', 'c']]);
    expect(fake.maxInFlight).toBe(1);
  });

  it('keeps up to commitConcurrency commits in flight over a pool', async () => {
    const { fake, commits } = setup(3);
    fake.hold = true;
    const all: Promise<void>[] = [];
    for (const t of ['a', 'b', 'c', 'd']) {
      all.push(commits.add(batch(t)));
      await tick();
    }
    await tick();
    expect(fake.inFlight).toBe(3);
    fake.hold = false;
    fake.release();
    await Promise.all(all);
    expect(fake.maxInFlight).toBe(3);
  });

  it('takes marks without messages (notes) into the same commit as the messages of the turn', async () => {
    const { fake, commits } = setup();
    await Promise.all([commits.add(batch('a')), commits.add({ topic: 'b', msgs: [], marks: new Map([[1n, { recvSeqId: 3 }]]) })]);
    expect(fake.commits).toEqual([['a', 'b']]);
  });

  it('fails only the batch the database refuses: the others of its commit are stored alone', async () => {
    const { fake, commits } = setup();
    const results = await Promise.allSettled(['a', 'poison', 'b'].map((t) => commits.add(batch(t))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(fake.commits).toEqual([['a', 'poison', 'b']]);
    expect(fake.alone).toEqual(['a', 'poison', 'b']);
  });
});
