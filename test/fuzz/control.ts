import type { RawClient } from '../helpers/raw.js';
import { loginSample } from './setup.js';

/**
 * The control conversation, beside the fuzzing: dave publishes to frank in their p2p topic at a
 * fixed interval, over websocket, while the fuzz sessions run. Each publication must be answered
 * (dave's `{ctrl 202}`) and delivered (frank's `{data}`); the report gives how many were, how
 * late, and the longest time the conversation went without an answer.
 */

export interface ControlReport {
  sent: number;
  answered: number;
  delivered: number;
  /** Answers that were not 2xx, with their code and text. */
  refused: string[];
  /** Publication to answer and to delivery, in ms: median and worst. */
  answerMs: { p50: number; max: number };
  deliveryMs: { p50: number; max: number };
  /** The longest stretch without any answer or delivery while publications were pending (ms). */
  longestSilenceMs: number;
  /** How either control socket was closed, if it was. */
  closed: string[];
}

interface Pending {
  sentAt: number;
  answeredAt?: number;
  deliveredAt?: number;
  code?: number;
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
}

export class Control {
  private readonly pubs = new Map<number, Pending>();
  private timer: NodeJS.Timeout | null = null;
  private n = 0;
  private lastEvent = 0;
  private longestSilence = 0;
  private readonly refused: string[] = [];
  private readonly closed: string[] = [];

  private constructor(
    private readonly dave: RawClient,
    private readonly frank: RawClient,
    private readonly topic: string,
  ) {
    const listen = (who: string, client: RawClient, handle: (m: Record<string, Record<string, unknown>>) => void) => {
      // Everything is read here; RawClient's own inbox would keep every message.
      client.ws.removeAllListeners('message');
      client.ws.on('message', (d) => {
        const text = d.toString();
        if (text !== '0') handle(JSON.parse(text) as Record<string, Record<string, unknown>>);
      });
      client.ws.on('close', (code) => this.closed.push(`${who}: websocket closed ${code}`));
    };
    listen('dave', dave, (m) => {
      const id = typeof m.ctrl?.id === 'string' ? m.ctrl.id : '';
      const p = /^c(\d+)$/.test(id) ? this.pubs.get(Number(id.slice(1))) : undefined;
      if (!p || !m.ctrl) return;
      p.answeredAt = this.event();
      p.code = Number(m.ctrl.code);
      if (p.code >= 300) this.refused.push(`${id}: ${p.code} ${String(m.ctrl.text)}`);
    });
    listen('frank', frank, (m) => {
      const content = m.data?.content;
      const match = typeof content === 'string' ? /^control (\d+)$/.exec(content) : null;
      const p = match ? this.pubs.get(Number(match[1])) : undefined;
      if (p) p.deliveredAt = this.event();
    });
  }

  /** dave and frank log in; dave opens (or finds) the p2p topic with frank and both attach it. */
  static async start(host: string): Promise<Control> {
    const dave = await loginSample(host, 'dave');
    const frank = await loginSample(host, 'frank');
    const sub = await dave.client.reply({ sub: { id: 'sub', topic: frank.user.uid } });
    if (Number(sub.ctrl?.code) >= 300) throw new Error(`control: dave cannot open the p2p topic: ${JSON.stringify(sub)}`);
    const back = await frank.client.reply({ sub: { id: 'sub', topic: dave.user.uid } });
    if (Number(back.ctrl?.code) >= 300) throw new Error(`control: frank cannot attach the p2p topic: ${JSON.stringify(back)}`);
    return new Control(dave.client, frank.client, frank.user.uid);
  }

  private event(): number {
    const now = performance.now();
    this.lastEvent = now;
    return now;
  }

  /** Publishes every `intervalMs` until {@link stop}. */
  run(intervalMs: number): void {
    this.lastEvent = performance.now();
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  private tick(): void {
    const now = performance.now();
    const waiting = [...this.pubs.values()].some((p) => p.answeredAt === undefined || p.deliveredAt === undefined);
    if (waiting) this.longestSilence = Math.max(this.longestSilence, now - this.lastEvent);
    else this.lastEvent = now;
    const n = ++this.n;
    this.pubs.set(n, { sentAt: now });
    this.dave.send({ pub: { id: `c${n}`, topic: this.topic, noecho: true, content: `control ${n}` } });
  }

  /** Stops publishing, waits up to `graceMs` for the last answers, and reports. */
  async stop(graceMs = 5000): Promise<ControlReport> {
    if (this.timer) clearInterval(this.timer);
    const end = performance.now() + graceMs;
    while (performance.now() < end && [...this.pubs.values()].some((p) => p.answeredAt === undefined || p.deliveredAt === undefined)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const all = [...this.pubs.values()];
    const answered = all.filter((p) => p.answeredAt !== undefined);
    const delivered = all.filter((p) => p.deliveredAt !== undefined);
    const now = performance.now();
    const pendingAges = all.filter((p) => p.answeredAt === undefined || p.deliveredAt === undefined).map((p) => now - p.sentAt);
    const answerMs = answered.map((p) => (p.answeredAt ?? 0) - p.sentAt);
    const deliveryMs = delivered.map((p) => (p.deliveredAt ?? 0) - p.sentAt);
    this.dave.close();
    this.frank.close();
    return {
      sent: all.length,
      answered: answered.length,
      delivered: delivered.length,
      refused: [...this.refused],
      answerMs: { p50: percentile(answerMs, 0.5), max: Math.max(0, ...answerMs, ...pendingAges) },
      deliveryMs: { p50: percentile(deliveryMs, 0.5), max: Math.max(0, ...deliveryMs, ...pendingAges) },
      longestSilenceMs: Math.max(this.longestSilence, ...pendingAges, 0),
      closed: [...this.closed],
    };
  }
}
