/**
 * Plain object shapes of the pbx messages used by the chat stream, as protobufjs builds them
 * (field names as in the .proto file; see proto-codec.ts for the forms of values).
 */


/** bytes: Buffer when encoding; when decoding any Uint8Array or a base64 string. */
export type PbBytes = Uint8Array | string;
/** int64: a number when encoding; when decoding also a decimal string or a Long. */
export type PbInt64 = number | string | { toNumber(): number };
/** An enum value: its name when encoding; when decoding its name or number. */
export type PbEnum = string | number;
export type PbBytesMap = Record<string, PbBytes>;

export interface PbSeqRange {
  low?: number;
  hi?: number;
}
export interface PbDefaultAcsMode {
  auth?: string;
  anon?: string;
}
export interface PbAccessMode {
  want?: string;
  given?: string;
}
export interface PbSetSub {
  user_id?: string;
  mode?: string;
}
export interface PbClientCred {
  method?: string;
  value?: string;
  response?: string;
  params?: PbBytesMap;
}
export interface PbSetDesc {
  default_acs?: PbDefaultAcsMode;
  public?: PbBytes;
  private?: PbBytes;
  trusted?: PbBytes;
}
export interface PbGetOpts {
  if_modified_since?: PbInt64;
  user?: string;
  topic?: string;
  since_id?: number;
  before_id?: number;
  limit?: number;
  ranges?: PbSeqRange[];
}
export interface PbGetQuery {
  what?: string;
  desc?: PbGetOpts;
  sub?: PbGetOpts;
  data?: PbGetOpts;
}
export interface PbSetQuery {
  desc?: PbSetDesc;
  sub?: PbSetSub;
  tags?: string[];
  cred?: PbClientCred;
  aux?: PbBytesMap;
}
export interface PbClientHi {
  id?: string;
  user_agent?: string;
  ver?: string;
  device_id?: string;
  lang?: string;
  platform?: string;
  background?: boolean;
}
export interface PbClientAcc {
  id?: string;
  user_id?: string;
  scheme?: string;
  secret?: PbBytes;
  login?: boolean;
  tags?: string[];
  desc?: PbSetDesc;
  cred?: PbClientCred[];
  token?: PbBytes;
  state?: string;
  auth_level?: PbEnum;
  tmp_scheme?: string;
  tmp_secret?: PbBytes;
}
export interface PbClientLogin {
  id?: string;
  scheme?: string;
  secret?: PbBytes;
  cred?: PbClientCred[];
}
export interface PbClientSub {
  id?: string;
  topic?: string;
  set_query?: PbSetQuery;
  get_query?: PbGetQuery;
}
export interface PbClientLeave {
  id?: string;
  topic?: string;
  unsub?: boolean;
}
export interface PbClientPub {
  id?: string;
  topic?: string;
  no_echo?: boolean;
  head?: PbBytesMap;
  content?: PbBytes;
}
export interface PbClientGet {
  id?: string;
  topic?: string;
  query?: PbGetQuery;
}
export interface PbClientSet {
  id?: string;
  topic?: string;
  query?: PbSetQuery;
}
export interface PbClientDel {
  id?: string;
  topic?: string;
  what?: PbEnum;
  del_seq?: PbSeqRange[];
  user_id?: string;
  cred?: PbClientCred;
  hard?: boolean;
}
export interface PbClientNote {
  topic?: string;
  what?: PbEnum;
  seq_id?: number;
  unread?: number;
  event?: PbEnum;
  payload?: PbBytes;
}
export interface PbClientExtra {
  attachments?: string[];
  on_behalf_of?: string;
  auth_level?: PbEnum;
}
/** pbx.ClientMsg: exactly one of the ten requests, and optional extra fields. */
export interface PbClientMsg {
  hi?: PbClientHi;
  acc?: PbClientAcc;
  login?: PbClientLogin;
  sub?: PbClientSub;
  leave?: PbClientLeave;
  pub?: PbClientPub;
  get?: PbClientGet;
  set?: PbClientSet;
  del?: PbClientDel;
  note?: PbClientNote;
  extra?: PbClientExtra;
  /** Which request is set (protobufjs `oneofs: true`). */
  Message?: string;
}

export interface PbServerCred {
  method?: string;
  value?: string;
  done?: boolean;
}
export interface PbTopicDesc {
  created_at?: PbInt64;
  updated_at?: PbInt64;
  touched_at?: PbInt64;
  defacs?: PbDefaultAcsMode;
  acs?: PbAccessMode;
  seq_id?: number;
  read_id?: number;
  recv_id?: number;
  del_id?: number;
  public?: PbBytes;
  private?: PbBytes;
  state?: string;
  state_at?: PbInt64;
  trusted?: PbBytes;
  last_seen_time?: PbInt64;
  last_seen_user_agent?: string;
  is_chan?: boolean;
  online?: boolean;
}
export interface PbTopicSub {
  updated_at?: PbInt64;
  deleted_at?: PbInt64;
  online?: boolean;
  acs?: PbAccessMode;
  read_id?: number;
  recv_id?: number;
  public?: PbBytes;
  private?: PbBytes;
  user_id?: string;
  topic?: string;
  touched_at?: PbInt64;
  seq_id?: number;
  del_id?: number;
  last_seen_time?: PbInt64;
  last_seen_user_agent?: string;
  trusted?: PbBytes;
}
export interface PbDelValues {
  del_id?: number;
  del_seq?: PbSeqRange[];
}
export interface PbServerCtrl {
  id?: string;
  topic?: string;
  code?: number;
  text?: string;
  params?: PbBytesMap;
}
export interface PbServerData {
  topic?: string;
  from_user_id?: string;
  deleted_at?: PbInt64;
  seq_id?: number;
  head?: PbBytesMap;
  content?: PbBytes;
  timestamp?: PbInt64;
}
export interface PbServerPres {
  topic?: string;
  src?: string;
  what?: PbEnum;
  user_agent?: string;
  seq_id?: number;
  del_id?: number;
  del_seq?: PbSeqRange[];
  target_user_id?: string;
  actor_user_id?: string;
  acs?: PbAccessMode;
}
export interface PbServerMeta {
  id?: string;
  topic?: string;
  desc?: PbTopicDesc;
  sub?: PbTopicSub[];
  del?: PbDelValues;
  tags?: string[];
  cred?: PbServerCred[];
  aux?: PbBytesMap;
}
export interface PbServerInfo {
  topic?: string;
  from_user_id?: string;
  what?: PbEnum;
  seq_id?: number;
  src?: string;
  event?: PbEnum;
  payload?: PbBytes;
}
/** pbx.ServerMsg: exactly one of the five server messages. */
export interface PbServerMsg {
  ctrl?: PbServerCtrl;
  data?: PbServerData;
  pres?: PbServerPres;
  meta?: PbServerMeta;
  info?: PbServerInfo;
  /** Deprecated in the protocol; never set by this codec, ignored when decoding. */
  topic?: string;
  /** Which message is set (protobufjs `oneofs: true`). */
  Message?: string;
}
