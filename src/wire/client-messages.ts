/**
 * Client-to-server messages, decoded and checked by a codec. Each variant carries its body with
 * the wire's field names; `id` and `topic` are lifted to the envelope. Secrets are bytes (the
 * JSON codec decodes them from standard base64, the protobuf codec takes them as bytes).
 */

export interface GetOpts {
  user?: string;
  topic?: string;
  ims?: Date;
  since?: number;
  before?: number;
  limit?: number;
  ranges?: { low?: number; hi?: number }[];
}

export interface GetQuery {
  what: string;
  desc?: GetOpts;
  sub?: GetOpts;
  data?: GetOpts;
  del?: GetOpts;
}

export interface SetDesc {
  defacs?: { auth?: string; anon?: string };
  public?: unknown;
  trusted?: unknown;
  private?: unknown;
}

export interface CredClient {
  meth?: string;
  val?: string;
  resp?: string;
  params?: Record<string, unknown>;
}

export interface SetQuery {
  desc?: SetDesc;
  sub?: { user?: string; mode?: string };
  tags?: string[];
  cred?: CredClient;
  aux?: Record<string, unknown>;
}

export interface HiBody {
  ua?: string;
  ver?: string;
  dev?: string;
  lang?: string;
  platf?: string;
  bkg?: boolean;
}

export interface AccBody {
  user?: string;
  tmpscheme?: string;
  tmpsecret?: Buffer;
  status?: string;
  authlevel?: string;
  scheme?: string;
  secret?: Buffer;
  login?: boolean;
  tags?: string[];
  desc?: SetDesc;
  cred?: CredClient[];
}

export interface LoginBody {
  scheme?: string;
  secret?: Buffer;
  cred?: CredClient[];
}

export interface SubBody {
  set?: SetQuery;
  get?: GetQuery;
}

export interface LeaveBody {
  unsub?: boolean;
}

export interface PubBody {
  noecho?: boolean;
  head?: Record<string, unknown>;
  content: unknown;
}

export interface DelBody {
  what: string;
  delseq?: { low?: number; hi?: number }[];
  user?: string;
  cred?: CredClient;
  hard?: boolean;
}

export interface NoteBody {
  what: string;
  seq?: number;
  unread?: number;
  event?: string;
  payload?: unknown;
}

/** Extra data a client may attach to any message. */
export interface Extra {
  /** Out-of-band attachments to keep from garbage collection. */
  attachments?: string[];
  /** On behalf of (root only). */
  obo?: string;
  /** Authentication level to act with (root only). */
  authlevel?: string;
}

interface Envelope<T extends string, B> {
  type: T;
  /** Request id to echo; '' when the client sent none. */
  id: string;
  /** Topic name as the client wrote it; '' for messages without one. */
  topic: string;
  body: B;
  extra: Extra | null;
}

export type HiMsg = Envelope<'hi', HiBody>;
export type AccMsg = Envelope<'acc', AccBody>;
export type LoginMsg = Envelope<'login', LoginBody>;
export type SubMsg = Envelope<'sub', SubBody>;
export type LeaveMsg = Envelope<'leave', LeaveBody>;
export type PubMsg = Envelope<'pub', PubBody>;
export type GetMsg = Envelope<'get', GetQuery>;
export type SetMsg = Envelope<'set', SetQuery>;
export type DelMsg = Envelope<'del', DelBody>;
export type NoteMsg = Envelope<'note', NoteBody>;

export type ClientMessage = HiMsg | AccMsg | LoginMsg | SubMsg | LeaveMsg | PubMsg | GetMsg | SetMsg | DelMsg | NoteMsg;

export type ClientMessageType = ClientMessage['type'];
