import type { ServerMessage } from '../../src/wire/server-messages.js';
import { encodeNode } from './node-codec.js';

/** A message's encoding for other nodes, made once however many remote sessions get it. */
const encoded = new WeakMap<ServerMessage, string>();

function encodedOnce(msg: ServerMessage): string {
  let text = encoded.get(msg);
  if (text === undefined) {
    text = encodeNode(msg);
    encoded.set(msg, text);
  }
  return text;
}

/** A batch flushes once it holds this much text (NATS takes 1 MB a message by default). */
const MAX_BATCH = 256 * 1024;

/**
 * What this node (a master) sends the sessions of one other node, gathered for a moment and sent
 * as one NATS message: a broadcast to a hundred members there is one message with their hundred
 * sids, not a hundred messages. Events keep their order: a run of the same message to several
 * sessions is one entry, anything else starts a new one.
 */
export class NodeOutbox {
  #entries: string[] = [];
  /** The open run: the message and its sids so far (its text is made at the flush). */
  #run: { msg: ServerMessage; sids: string[]; soon: boolean } | null = null;
  #size = 0;
  #scheduled = false;

  constructor(
    private readonly self: string,
    private readonly publish: (text: string) => boolean,
  ) {}

  /** A message for a session of that node. */
  message(sid: string, msg: ServerMessage, soon: boolean): void {
    const run = this.#run;
    if (run && run.msg === msg && run.soon === soon) {
      run.sids.push(sid);
      this.#size += sid.length + 3;
    } else {
      this.closeRun();
      this.#run = { msg, sids: [sid], soon };
      this.#size += encodedOnce(msg).length + sid.length + 16;
    }
    this.schedule();
  }

  /** A topic attached (or detached, `moved` when it left this node) a session of that node. */
  attachment(sid: string, name: string, attached: boolean, moved: boolean): void {
    this.closeRun();
    const text = `{"t":"${attached ? 'a' : 'd'}","s":${JSON.stringify(sid)},"n":${JSON.stringify(name)}${moved ? ',"moved":true' : ''}}`;
    this.#entries.push(text);
    this.#size += text.length;
    this.schedule();
  }

  private closeRun(): void {
    const run = this.#run;
    if (!run) return;
    this.#run = null;
    this.#entries.push(`{"t":"m","s":${JSON.stringify(run.sids)}${run.soon ? ',"soon":true' : ''},"m":${encodedOnce(run.msg)}}`);
  }

  private schedule(): void {
    if (this.#size >= MAX_BATCH) {
      this.flush();
      return;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what is gathered now. */
  flush(): void {
    this.#scheduled = false;
    this.closeRun();
    if (this.#entries.length === 0) return;
    const text = `{"t":"b","f":${JSON.stringify(this.self)},"e":[${this.#entries.join(',')}]}`;
    this.#entries = [];
    this.#size = 0;
    this.publish(text);
  }
}
