import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ctrlsOf, openTopicHarness, type TopicHarness } from '../../helpers/topic-harness.js';

/**
 * A topic whose inbox is held by one operation (here a database that stopped answering) is
 * reported once in the log, with the operation and how many wait behind it: a stuck topic makes
 * every later request of it wait, and the log is where an operator finds out which and why.
 */
describe('slow topic operations', () => {
  let h: TopicHarness;

  beforeEach(async () => {
    h = await openTopicHarness({ slowTaskMs: 300 });
  });

  afterEach(async () => {
    await h.close();
  });

  it('an operation holding a topic past the limit is logged once, naming the topic, the operation and the queue behind it', async () => {
    const hike = h.groups.get('*HIKE') ?? '';
    const alice = h.client('alice');
    const bob = h.client('bob');
    await h.sub(alice, hike, 's1');
    await h.sub(bob, hike, 's2');
    const release = h.stallMessageSaves();
    const pub = h.pub(alice, hike, 'p1', 'held');
    // Queued behind the stalled publication.
    const leave = h.leave(bob, hike, 'l1');
    await vi.waitFor(() => expect(h.warnings.filter((w) => w.includes('has held the topic'))).toHaveLength(1), { timeout: 5000, interval: 50 });
    const [warning] = h.warnings.filter((w) => w.includes('has held the topic'));
    expect(warning).toMatch(new RegExp(`^topic ${hike}: publish batch has held the topic for \\d+\\.\\d s; 1 operations wait behind it$`));
    // Still held for several sweeps: reported once.
    await new Promise((r) => setTimeout(r, 700));
    expect(h.warnings.filter((w) => w.includes('has held the topic'))).toHaveLength(1);
    release();
    await Promise.all([pub, leave]);
    expect(ctrlsOf(alice.received).at(-1)).toMatchObject({ id: 'p1', code: 202 });
    expect(ctrlsOf(bob.received).at(-1)).toMatchObject({ id: 'l1', code: 200 });
  });
});
