import { adapterOf } from '../../server/store/adapter-access.js';
import type { Store } from '../../server/store/store.js';
import { modeToString } from '../../src/model/access.js';
import { parseUserId, userId } from '../../src/model/uid.js';

/**
 * What the store holds for some users, in a form to compare before and after: each user's
 * subscriptions (contact list, with private values and modes), and each topic any of them is
 * subscribed to (or that is named), with its subscribers and the messages each subscriber sees.
 * Time stamps and read marks are left out: only who is where and what they can read counts.
 */
export interface StoreView {
  /** By `usr…` id: the user's subscriptions, sorted by topic name. */
  subs: Record<string, string[]>;
  /** By topic name: null when the topic does not exist. */
  topics: Record<string, TopicView | null>;
}

export interface TopicView {
  owner: string;
  public: unknown;
  /** `usr… mode` of each subscription, `(deleted)` for deleted ones, sorted. */
  subscribers: string[];
  /** By subscriber: `seq from content` of each message the subscriber can read, oldest first. */
  messages: Record<string, string[]>;
}

/** The view of `users` (`usr…` ids) and of `named` topics whether or not anyone is subscribed. */
export async function storeView(store: Store, users: readonly string[], named: readonly string[] = []): Promise<StoreView> {
  const db = adapterOf(store);
  const view: StoreView = { subs: {}, topics: {} };
  const topics = new Set(named);
  for (const user of users) {
    const uid = parseUserId(user);
    // The contact list (with private values and deleted ones) and the me/fnd records besides.
    const contacts = await db.topicsForUser(uid, true);
    const all = await db.subsForUser(uid);
    const rows = new Map<string, string>();
    for (const s of [...all, ...contacts]) {
      const mode = `${modeToString(s.modeWant)}/${modeToString(s.modeGiven)}`;
      rows.set(s.topic, `${s.topic} ${s.deletedAt ? '(deleted)' : mode}${s.private === undefined || s.private === null ? '' : ' ' + JSON.stringify(s.private)}`);
      if (/^(grp|p2p|slf|chn)/.test(s.topic)) topics.add(s.topic.replace(/^chn/, 'grp'));
    }
    view.subs[user] = [...rows.values()].sort();
  }
  for (const name of [...topics].sort()) {
    const t = await db.topicGet(name);
    if (!t) {
      view.topics[name] = null;
      continue;
    }
    const subs = await db.subsForTopic(name, true);
    const messages: Record<string, string[]> = {};
    for (const s of subs.filter((x) => !x.deletedAt)) {
      const list = await db.messageGetAll(name, s.user);
      messages[userId(s.user)] = list.map((m) => `${m.seqId} ${userId(m.from)} ${JSON.stringify(m.content)}`).reverse();
    }
    view.topics[name] = {
      owner: t.owner ? userId(t.owner) : '',
      public: t.public,
      subscribers: subs.map((s) => `${userId(s.user)} ${s.deletedAt ? '(deleted)' : modeToString(s.modeWant & s.modeGiven)}`).sort(),
      messages,
    };
  }
  return view;
}
