import type { RawClient } from '../helpers/raw.js';
import { loginSample } from './setup.js';

/**
 * Watches topics while the fuzz sessions hammer them: the sample group topics (attached by the
 * control users, members of all of them between them) and the `me` topic of each fuzz user (by
 * a session of that user), each asked for its description once a second on sockets of their
 * own. A topic that stops answering has hung: every session that touches it after that hangs
 * too. The report says which topics hung and when (on the clock of the frame trace), so that
 * the frames sent just before can be looked at.
 *
 * A watching session the server ends (with `{ctrl 205 evicted}` or by closing its socket) stops
 * watching and is reported apart with its user: the fuzz users may delete their own accounts,
 * which evicts every session of theirs, this one too. The test decides whether it was expected.
 */

export interface TopicWatchReport {
  /** Topics that never answered a probe for `hungAfterMs`, with the time the probe was sent. */
  hung: { topic: string; since: number }[];
  /** Watches the server ended: the topic, the watching user (`usr…`), when and how. */
  ended: { topic: string; uid: string; at: number; how: string }[];
  /** The slowest answer to a probe, by topic (ms). */
  slowest: Record<string, number>;
  probes: number;
}

interface Watched {
  client: RawClient;
  topic: string;
  /** How the report names it: the topic, or "me of alice". */
  label: string;
  /** The watching user (`usr…`). */
  uid: string;
  /** The server ended the watching session: when and how. */
  ended: { at: number; how: string } | null;
  /** The probe in flight: its id and when it was sent. */
  pending: { id: string; at: number } | null;
  slowest: number;
  hungSince: number | null;
}

export class TopicWatch {
  private timer: NodeJS.Timeout | null = null;
  private n = 0;

  private constructor(
    private readonly watched: Watched[],
    private readonly clients: RawClient[],
    private readonly hungAfterMs: number,
  ) {
    const end = (client: RawClient, how: string, topic?: string) => {
      for (const w of watched) {
        if (w.client === client && !w.ended && (topic === undefined || w.topic === topic)) w.ended = { at: performance.now(), how };
      }
    };
    for (const client of clients) {
      client.ws.on('close', (code) => end(client, `socket closed (${code})`));
      // The probes' answers are read here; RawClient's own inbox would keep every broadcast.
      client.ws.removeAllListeners('message');
      client.ws.on('message', (d) => {
        const text = d.toString();
        if (text === '0') return;
        const m = JSON.parse(text) as Record<string, { id?: unknown; code?: unknown }>;
        if (m.ctrl && m.ctrl.id === undefined && m.ctrl.code === 205) {
          // Evicted from one topic (its owner removed the user: every topic the session watches
          // under that name), or the whole session (its account was deleted).
          const topic = (m.ctrl as { topic?: string }).topic;
          end(client, topic ? 'evicted from the topic' : 'evicted', topic);
          return;
        }
        const id = m.meta?.id ?? m.ctrl?.id;
        const w = watched.find((x) => x.client === client && x.pending?.id === id);
        if (!w?.pending) return;
        w.slowest = Math.max(w.slowest, performance.now() - w.pending.at);
        w.pending = null;
      });
    }
  }

  /**
   * Logs in the `members` (sample users) and attaches every group of `groups` one of them may;
   * logs in each of `users` and attaches its `me`.
   */
  static async start(host: string, members: readonly string[], groups: readonly string[], users: readonly string[], hungAfterMs: number): Promise<TopicWatch> {
    const watched: Watched[] = [];
    const clients: RawClient[] = [];
    const attach = async (client: RawClient, uid: string, topic: string, label: string) => {
      const r = await client.reply({ sub: { id: `watch-${topic}`, topic } });
      if (Number(r.ctrl?.code) < 300) watched.push({ client, uid, topic, label, ended: null, pending: null, slowest: 0, hungSince: null });
    };
    for (const login of members) {
      const { client, user } = await loginSample(host, login);
      clients.push(client);
      for (const topic of groups) {
        if (!watched.some((w) => w.topic === topic)) await attach(client, user.uid, topic, topic);
      }
    }
    for (const login of users) {
      const { client, user } = await loginSample(host, login);
      clients.push(client);
      await attach(client, user.uid, 'me', `me of ${login}`);
    }
    return new TopicWatch(watched, clients, hungAfterMs);
  }

  get topics(): string[] {
    return this.watched.map((w) => w.label);
  }

  run(intervalMs: number): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  private tick(): void {
    const now = performance.now();
    for (const w of this.watched) {
      if (w.ended) continue;
      if (w.pending) {
        if (w.hungSince === null && now - w.pending.at > this.hungAfterMs) w.hungSince = w.pending.at;
        continue;
      }
      const id = `w${++this.n}`;
      w.pending = { id, at: now };
      w.client.send({ get: { id, topic: w.topic, what: 'desc' } });
    }
  }

  stop(): TopicWatchReport {
    if (this.timer) clearInterval(this.timer);
    const now = performance.now();
    for (const w of this.watched) {
      if (!w.ended && w.pending && w.hungSince === null && now - w.pending.at > this.hungAfterMs) w.hungSince = w.pending.at;
    }
    for (const c of this.clients) c.close();
    return {
      // A probe unanswered because its session was ended is not a hang of the topic.
      hung: this.watched.filter((w) => w.hungSince !== null && (!w.ended || w.ended.at - w.hungSince > this.hungAfterMs)).map((w) => ({ topic: w.label, since: w.hungSince ?? 0 })),
      ended: this.watched.flatMap((w) => (w.ended ? [{ topic: w.label, uid: w.uid, ...w.ended }] : [])),
      slowest: Object.fromEntries(this.watched.map((w) => [w.label, Math.round(w.slowest)])),
      probes: this.n,
    };
  }
}
