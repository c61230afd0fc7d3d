/**
 * What the fuzzer found, grouped by kind and signature (the transport, the message kind, the
 * answer, and the mutations with their values taken out), each with a count and its first
 * example: the frame as sent (long runs collapsed) and what was done to it.
 */

export type FindingKind =
  /** The server answered a request with a 5xx code. */
  | 'answer 5xx'
  /** A burst's closing request got no answer and the connection stayed open. */
  | 'no answer'
  /** After the fuzzing, a session left open did not answer a known-good request. */
  | 'silent session'
  /** A server message the client could not decode. */
  | 'unparsable answer'
  /** An HTTP answer 5xx on the long-poll endpoint. */
  | 'http 5xx'
  /** A session could not be opened, or could not log in. */
  | 'session setup';

export interface Finding {
  kind: FindingKind;
  signature: string;
  count: number;
  example: string;
  /** When it was first seen (`performance.now()`, ms). */
  firstAt: number;
}

/** Long runs of a short unit ("[[[[…", "aaaa…") written once with their count. */
export function shorten(text: string, max = 700): string {
  const collapsed = text.replace(/([\s\S]{1,6}?)\1{15,}/g, (run, unit: string) => `‹${unit}›×${run.length / unit.length}`);
  return collapsed.length > max ? `${collapsed.slice(0, max)}… (${collapsed.length} chars)` : collapsed;
}

/**
 * A mutation without its values and with its field's name alone, to group findings:
 * "deep pub.content.ent[0].data: array nested 10000 deep" → "deep data".
 */
export function opKind(op: string): string {
  const bare = op.replace(/[:=(].*$/, '').trim();
  const [verb, ...rest] = bare.split(' ');
  const field = rest.join(' ').split('.').pop()?.replace(/\[\d+\]/g, '') ?? '';
  return `${verb ?? ''} ${field}`.replace(/\d+/g, 'N').trim();
}

export class Findings {
  private readonly byKey = new Map<string, Finding>();

  add(kind: FindingKind, signature: string, example: () => string): void {
    const key = `${kind}\u0000${signature}`;
    const known = this.byKey.get(key);
    if (known) {
      known.count++;
      return;
    }
    this.byKey.set(key, { kind, signature, count: 1, example: example(), firstAt: performance.now() });
  }

  list(): Finding[] {
    return [...this.byKey.values()];
  }

  /** A count by kind, for one line of summary. */
  summary(): string {
    const counts = new Map<string, number>();
    for (const f of this.byKey.values()) counts.set(f.kind, (counts.get(f.kind) ?? 0) + f.count);
    return [...counts].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
  }

  format(): string {
    return this.list()
      .map((f) => `[${f.kind}] ×${f.count} ${f.signature}\n${f.example.replace(/^/gm, '    ')}`)
      .join('\n');
  }
}
