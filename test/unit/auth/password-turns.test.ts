import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../server/limits/semaphore.js';
import { BasicScheme } from '../../../server/auth/basic-scheme.js';
import { hashPassword } from '../../../src/model/password.js';
import type { Store } from '../../../server/store/store.js';

/** A promise with its resolve, for tasks the test finishes by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('password hashing turns (limits.password_hashes)', () => {
  it('runs at most the limit at once and the rest in arrival order', async () => {
    const sem = new Semaphore(2);
    const started: number[] = [];
    const gates = [gate(), gate(), gate(), gate()];
    const runs = gates.map((g, i) =>
      sem.run(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(sem.active).toBe(2);
    expect(sem.queued).toBe(2);
    gates[1]!.open();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    gates[3]!.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(sem.active).toBe(0);
    expect(sem.queued).toBe(0);
  });

  it('gives the turn back when a task fails', async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await sem.run(() => Promise.resolve('next'))).toBe('next');
    expect(sem.active).toBe(0);
  });

  it('refuses a limit below one', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });

  it('a flood of logins checks at most the limit of passwords at once', async () => {
    const secret = await hashPassword('alice123', 4);
    /** Notes the most tasks seen running at once. */
    class Watched extends Semaphore {
      most = 0;
      override run<T>(task: () => Promise<T>): Promise<T> {
        return super.run(() => {
          this.most = Math.max(this.most, this.active);
          return task();
        });
      }
    }
    const turns = new Watched(2);
    // The store is the unit's neighbour: it has alice's record for every login.
    const store = {
      auth: { getUniqueRecord: () => Promise.resolve({ uid: 1n, authLevel: 20, unique: 'alice', secret, expires: null }) },
    } as unknown as Store;
    const scheme = new BasicScheme('basic', { add_to_tags: true, min_login_length: 2, min_password_length: 3 } as never, store, turns);
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => scheme.authenticate(Buffer.from(`alice:${i % 2 ? 'alice123' : 'wrong'}`))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6);
    expect(turns.most).toBe(2);
    expect(turns.active).toBe(0);
  });
});
