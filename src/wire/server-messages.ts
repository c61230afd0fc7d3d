/**
 * Server-to-client messages as they travel on the wire (field names are the JSON names of the
 * reference protocol). Timestamps are Date objects; the codecs format them. Values the server
 * passes through without interpreting (`public`, `private`, `content`...) are `unknown`.
 */

export interface AccessModeMsg {
  want?: string;
  given?: string;
  mode?: string;
}

export interface DefaultAcsMsg {
  auth?: string;
  anon?: string;
}

export interface LastSeenMsg {
  when?: Date;
  ua?: string;
}

export interface RangeMsg {
  low?: number;
  hi?: number;
}

export interface CredServerMsg {
  meth?: string;
  val?: string;
  done?: boolean;
}

/** A topic's description (`{meta desc}`). */
export interface TopicDescMsg {
  created?: Date;
  updated?: Date;
  touched?: Date;
  state?: string;
  online?: boolean;
  chan?: boolean;
  seen?: LastSeenMsg;
  defacs?: DefaultAcsMsg;
  acs?: AccessModeMsg;
  seq?: number;
  read?: number;
  recv?: number;
  clear?: number;
  subcnt?: number;
  public?: unknown;
  trusted?: unknown;
  private?: unknown;
}

/** One subscription in `{meta sub}`. `acs` is always present (possibly empty), as in the reference. */
export interface TopicSubMsg {
  updated?: Date;
  deleted?: Date;
  online?: boolean;
  acs: AccessModeMsg;
  read?: number;
  recv?: number;
  public?: unknown;
  trusted?: unknown;
  private?: unknown;
  user?: string;
  topic?: string;
  touched?: Date;
  seq?: number;
  clear?: number;
  subcnt?: number;
  seen?: LastSeenMsg;
}

export interface CtrlMsg {
  id?: string;
  topic?: string;
  params?: Record<string, unknown>;
  code: number;
  text?: string;
  ts: Date;
}

export interface DataMsg {
  topic: string;
  from?: string;
  ts: Date;
  deleted?: Date;
  seq: number;
  head?: Record<string, unknown>;
  content: unknown;
}

export interface PresMsg {
  topic: string;
  src?: string;
  what: string;
  ua?: string;
  seq?: number;
  clear?: number;
  delseq?: RangeMsg[];
  tgt?: string;
  act?: string;
  dacs?: AccessModeMsg;
}

export interface MetaMsg {
  id?: string;
  topic: string;
  ts?: Date;
  desc?: TopicDescMsg;
  sub?: TopicSubMsg[];
  del?: { clear?: number; delseq?: RangeMsg[] };
  tags?: string[];
  cred?: CredServerMsg[];
  aux?: Record<string, unknown>;
}

export interface InfoMsg {
  topic: string;
  src?: string;
  from?: string;
  what: string;
  seq?: number;
  event?: string;
  payload?: unknown;
}

/** One server message: exactly one of the five kinds. */
export type ServerMessage = { ctrl: CtrlMsg } | { meta: MetaMsg } | { data: DataMsg } | { pres: PresMsg } | { info: InfoMsg };

/** The id a message answers, if any. */
export function replyId(msg: ServerMessage): string | undefined {
  if ('ctrl' in msg) return msg.ctrl.id;
  if ('meta' in msg) return msg.meta.id;
  return undefined;
}
