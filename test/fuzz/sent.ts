import type { TransportName } from './conns.js';
import { shorten } from './findings.js';
import { toText, type JObj } from './json-tree.js';
import type { MsgType } from './messages.js';
import type { TextFrame } from './mutate-json.js';

/**
 * The frames a session has sent and not yet seen answered, and what can be told from them when
 * something goes wrong: which frame a reply answers (by its id, even mutated), which frames lost
 * their id, where a silent session got stuck, what was in flight when the server died.
 */

export interface Sent {
  type: MsgType;
  /** What the mutator did to it. */
  ops: string[];
  /** The frame for a report: text with long runs collapsed, bytes in hex. */
  show: () => string;
  /** Whether the frame holds `text` (a request id), mutated or not. */
  holds: (text: string) => boolean;
  /** The frame as sent: its kind and bytes. */
  raw: () => { kind: string; data: Buffer };
  /** Set when a reply with the frame's own id came. */
  answered?: boolean;
}

/** A frame as sent, for a trace or a replay file. */
export interface RawFrame {
  slot: string;
  transport: string;
  /** text, binary, badutf8 (websocket, long polling) or proto (gRPC). */
  kind: string;
  base64: string;
  /** When it was sent (`performance.now()`, ms), in a trace. */
  at?: number;
}

/** Request ids to the frames of a burst, in the order sent. */
export type Burst = Map<string, Sent>;

export function sentText(type: MsgType, ops: string[], frame: TextFrame): Sent {
  return {
    type,
    ops,
    show: () => (frame.kind === 'text' ? shorten(frame.text) : `${frame.kind} ${shorten(frame.data.toString('hex'), 400)}`),
    holds: (text) => (frame.kind === 'text' ? frame.text.includes(text) : frame.data.includes(text)),
    raw: () => ({ kind: frame.kind, data: frame.kind === 'text' ? Buffer.from(frame.text) : frame.data }),
  };
}

/** A protobuf frame, shown with the JSON message it was made from. */
export function sentProto(type: MsgType, ops: string[], data: Buffer, from: JObj): Sent {
  return {
    type,
    ops,
    show: () => `${shorten(data.toString('hex'), 400)}\n  from ${shorten(toText(from), 300)}`,
    holds: (text) => data.includes(text),
    raw: () => ({ kind: 'proto', data }),
  };
}

function describe(s: Sent, indent = ''): string {
  return `${indent}${s.show()}\n${indent}  mutations: ${s.ops.join('; ') || 'none'}`;
}

/** The frame in flight a reply answers: by its id, or by the (mutated) id it holds. */
export function findSent(bursts: readonly Burst[], id: string): Sent | undefined {
  const exact = bursts.map((b) => b.get(id)).find((x) => x !== undefined);
  if (exact || id === '') return exact;
  const quoted = JSON.stringify(id);
  for (const b of bursts) for (const s of b.values()) if (s.holds(quoted) || s.holds(id)) return s;
  return undefined;
}

/**
 * The frame a reply answers, or, when it cannot be told (no id), the frames of the burst that
 * lost their own id (the likely ones), else its last frames.
 */
export function replyContext(transport: TransportName, bursts: readonly Burst[], id: string, burst?: Burst): string {
  const sent = findSent(bursts, id);
  if (sent) return `${transport} frame: ${describe(sent)}`;
  const frames = burst ?? bursts[bursts.length - 1] ?? new Map<string, Sent>();
  const lost = [...frames].filter(([own, s]) => !s.holds(own)).map(([, s]) => s);
  const shown = lost.length > 0 ? lost.slice(0, 5) : [...frames.values()].slice(-3);
  const what = lost.length > 0 ? 'frames of the burst without their id' : 'last frames of the burst';
  return `${transport}, reply id "${id}"; ${what}:\n${shown.map((s) => describe(s)).join('\n')}`;
}

/**
 * Where a silent session got stuck: a session handles its messages one at a time, so it is the
 * first request after the last one answered (frames without an id are never answered and are
 * shown as candidates too). Frames over `maxMessageSize` in the burst are named: on gRPC one may
 * take the stream down without a word.
 */
export function stuckAt(transport: TransportName, burst: Burst, maxMessageSize: number): string {
  const frames = [...burst];
  let last = -1;
  frames.forEach(([, s], i) => {
    if (s.answered) last = i;
  });
  const firstUnanswered = frames.findIndex(([id, s], i) => i > last && s.holds(id) && !s.answered && s.type !== 'note');
  const suspects = frames.slice(last + 1, firstUnanswered < 0 ? undefined : firstUnanswered + 1).map(([, s]) => s);
  const oversized = frames.map(([, s]) => s.raw().data.length).filter((n) => n > maxMessageSize);
  const note = oversized.length > 0 ? ` (the burst also holds ${oversized.length} frame(s) over max_message_size: ${oversized.join(', ')} bytes)` : '';
  const list = suspects
    .slice(-6)
    .map((s) => describe(s))
    .join('\n');
  return `${transport}: answered up to frame ${last + 1} of ${frames.length}${note}; the session is stuck at one of:\n${list}`;
}

/** The last frames of `frames`, for a crash report. */
export function listFrames(frames: readonly Sent[], max = 8): string {
  return frames
    .slice(-max)
    .map((s) => describe(s, '  '))
    .join('\n');
}

export function rawFrame(slot: string, transport: TransportName, s: Sent, at?: number): RawFrame {
  const { kind, data } = s.raw();
  return { slot, transport, kind, base64: data.toString('base64'), ...(at === undefined ? {} : { at }) };
}
