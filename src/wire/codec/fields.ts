/**
 * One description of the fields of every message the chat stream carries, for both wires: the
 * model's name of each field (the key), its JSON name, and its protobuf name, field number and
 * type in `proto/model.proto` (`pbx`). `null` marks a field one wire does not have (JSON-only
 * `get.del`, proto-only `acc.token`). The client decoders take their field names from here, and
 * a test holds the proto half to model.proto, so the two wires cannot drift apart by a typo.
 */

/** A field: `[json name, proto name, proto field number, proto type]`. */
export type FieldSpec = readonly [json: string | null, proto: string | null, no: number, type: string];

type Fields = Readonly<Record<string, FieldSpec>>;

/** Fields of messages inside others (proto message name → fields). */
export const PART_FIELDS = {
  DefaultAcsMode: { auth: ['auth', 'auth', 1, 'string'], anon: ['anon', 'anon', 2, 'string'] },
  AccessMode: { want: ['want', 'want', 1, 'string'], given: ['given', 'given', 2, 'string'], mode: ['mode', null, 0, ''] },
  SeqRange: { low: ['low', 'low', 1, 'int32'], hi: ['hi', 'hi', 2, 'int32'] },
  SetSub: { user: ['user', 'user_id', 1, 'string'], mode: ['mode', 'mode', 2, 'string'] },
  ClientCred: {
    meth: ['meth', 'method', 1, 'string'],
    val: ['val', 'value', 2, 'string'],
    resp: ['resp', 'response', 3, 'string'],
    params: ['params', 'params', 4, 'map<string,bytes>'],
  },
  SetDesc: {
    defacs: ['defacs', 'default_acs', 1, 'DefaultAcsMode'],
    public: ['public', 'public', 2, 'bytes'],
    private: ['private', 'private', 3, 'bytes'],
    trusted: ['trusted', 'trusted', 4, 'bytes'],
  },
  GetOpts: {
    ims: ['ims', 'if_modified_since', 1, 'int64'],
    user: ['user', 'user', 2, 'string'],
    topic: ['topic', 'topic', 3, 'string'],
    since: ['since', 'since_id', 4, 'int32'],
    before: ['before', 'before_id', 5, 'int32'],
    limit: ['limit', 'limit', 6, 'int32'],
    ranges: ['ranges', 'ranges', 7, 'repeated SeqRange'],
  },
  GetQuery: {
    what: ['what', 'what', 1, 'string'],
    desc: ['desc', 'desc', 2, 'GetOpts'],
    sub: ['sub', 'sub', 3, 'GetOpts'],
    data: ['data', 'data', 4, 'GetOpts'],
    del: ['del', null, 0, ''],
  },
  SetQuery: {
    desc: ['desc', 'desc', 1, 'SetDesc'],
    sub: ['sub', 'sub', 2, 'SetSub'],
    tags: ['tags', 'tags', 3, 'repeated string'],
    cred: ['cred', 'cred', 4, 'ClientCred'],
    aux: ['aux', 'aux', 5, 'map<string,bytes>'],
  },
  ClientExtra: {
    attachments: ['attachments', 'attachments', 1, 'repeated string'],
    obo: ['obo', 'on_behalf_of', 2, 'string'],
    authlevel: ['authlevel', 'auth_level', 3, 'AuthLevel'],
  },
  ServerCred: { meth: ['meth', 'method', 1, 'string'], val: ['val', 'value', 2, 'string'], done: ['done', 'done', 3, 'bool'] },
  TopicDesc: {
    created: ['created', 'created_at', 1, 'int64'],
    updated: ['updated', 'updated_at', 2, 'int64'],
    touched: ['touched', 'touched_at', 3, 'int64'],
    defacs: ['defacs', 'defacs', 4, 'DefaultAcsMode'],
    acs: ['acs', 'acs', 5, 'AccessMode'],
    seq: ['seq', 'seq_id', 6, 'int32'],
    read: ['read', 'read_id', 7, 'int32'],
    recv: ['recv', 'recv_id', 8, 'int32'],
    clear: ['clear', 'del_id', 9, 'int32'],
    public: ['public', 'public', 10, 'bytes'],
    private: ['private', 'private', 11, 'bytes'],
    state: ['state', 'state', 12, 'string'],
    stateAt: [null, 'state_at', 13, 'int64'],
    trusted: ['trusted', 'trusted', 14, 'bytes'],
    seenWhen: ['seen.when', 'last_seen_time', 15, 'int64'],
    seenUa: ['seen.ua', 'last_seen_user_agent', 16, 'string'],
    chan: ['chan', 'is_chan', 17, 'bool'],
    online: ['online', 'online', 18, 'bool'],
    subcnt: ['subcnt', null, 0, ''],
  },
  TopicSub: {
    updated: ['updated', 'updated_at', 1, 'int64'],
    deleted: ['deleted', 'deleted_at', 2, 'int64'],
    online: ['online', 'online', 3, 'bool'],
    acs: ['acs', 'acs', 4, 'AccessMode'],
    read: ['read', 'read_id', 5, 'int32'],
    recv: ['recv', 'recv_id', 6, 'int32'],
    public: ['public', 'public', 7, 'bytes'],
    private: ['private', 'private', 8, 'bytes'],
    user: ['user', 'user_id', 9, 'string'],
    topic: ['topic', 'topic', 10, 'string'],
    touched: ['touched', 'touched_at', 11, 'int64'],
    seq: ['seq', 'seq_id', 12, 'int32'],
    clear: ['clear', 'del_id', 13, 'int32'],
    seenWhen: ['seen.when', 'last_seen_time', 14, 'int64'],
    seenUa: ['seen.ua', 'last_seen_user_agent', 15, 'string'],
    trusted: ['trusted', 'trusted', 16, 'bytes'],
    subcnt: ['subcnt', null, 0, ''],
  },
  DelValues: { clear: ['clear', 'del_id', 1, 'int32'], delseq: ['delseq', 'del_seq', 2, 'repeated SeqRange'] },
} as const satisfies Readonly<Record<string, Fields>>;

/** Fields of the client requests (proto message name → fields). */
export const CLIENT_FIELDS = {
  ClientHi: {
    id: ['id', 'id', 1, 'string'],
    ua: ['ua', 'user_agent', 2, 'string'],
    ver: ['ver', 'ver', 3, 'string'],
    dev: ['dev', 'device_id', 4, 'string'],
    lang: ['lang', 'lang', 5, 'string'],
    platf: ['platf', 'platform', 6, 'string'],
    bkg: ['bkg', 'background', 7, 'bool'],
  },
  ClientAcc: {
    id: ['id', 'id', 1, 'string'],
    user: ['user', 'user_id', 2, 'string'],
    scheme: ['scheme', 'scheme', 3, 'string'],
    secret: ['secret', 'secret', 4, 'bytes'],
    login: ['login', 'login', 5, 'bool'],
    tags: ['tags', 'tags', 6, 'repeated string'],
    desc: ['desc', 'desc', 7, 'SetDesc'],
    cred: ['cred', 'cred', 8, 'repeated ClientCred'],
    token: [null, 'token', 9, 'bytes'],
    status: ['status', 'state', 10, 'string'],
    authlevel: ['authlevel', 'auth_level', 11, 'AuthLevel'],
    tmpscheme: ['tmpscheme', 'tmp_scheme', 12, 'string'],
    tmpsecret: ['tmpsecret', 'tmp_secret', 13, 'bytes'],
  },
  ClientLogin: {
    id: ['id', 'id', 1, 'string'],
    scheme: ['scheme', 'scheme', 2, 'string'],
    secret: ['secret', 'secret', 3, 'bytes'],
    cred: ['cred', 'cred', 4, 'repeated ClientCred'],
  },
  ClientSub: {
    id: ['id', 'id', 1, 'string'],
    topic: ['topic', 'topic', 2, 'string'],
    set: ['set', 'set_query', 3, 'SetQuery'],
    get: ['get', 'get_query', 4, 'GetQuery'],
  },
  ClientLeave: { id: ['id', 'id', 1, 'string'], topic: ['topic', 'topic', 2, 'string'], unsub: ['unsub', 'unsub', 3, 'bool'] },
  ClientPub: {
    id: ['id', 'id', 1, 'string'],
    topic: ['topic', 'topic', 2, 'string'],
    noecho: ['noecho', 'no_echo', 3, 'bool'],
    head: ['head', 'head', 4, 'map<string,bytes>'],
    content: ['content', 'content', 5, 'bytes'],
  },
  // In JSON the query's fields are the message's own; in proto they sit in `query`.
  ClientGet: { id: ['id', 'id', 1, 'string'], topic: ['topic', 'topic', 2, 'string'], query: [null, 'query', 3, 'GetQuery'] },
  ClientSet: { id: ['id', 'id', 1, 'string'], topic: ['topic', 'topic', 2, 'string'], query: [null, 'query', 3, 'SetQuery'] },
  ClientDel: {
    id: ['id', 'id', 1, 'string'],
    topic: ['topic', 'topic', 2, 'string'],
    what: ['what', 'what', 3, 'What'],
    delseq: ['delseq', 'del_seq', 4, 'repeated SeqRange'],
    user: ['user', 'user_id', 5, 'string'],
    cred: ['cred', 'cred', 6, 'ClientCred'],
    hard: ['hard', 'hard', 7, 'bool'],
  },
  // A note has no id on the proto wire.
  ClientNote: {
    id: ['id', null, 0, ''],
    topic: ['topic', 'topic', 1, 'string'],
    what: ['what', 'what', 2, 'InfoNote'],
    seq: ['seq', 'seq_id', 3, 'int32'],
    unread: ['unread', 'unread', 4, 'int32'],
    event: ['event', 'event', 5, 'CallEvent'],
    payload: ['payload', 'payload', 6, 'bytes'],
  },
  ClientMsg: {
    hi: ['hi', 'hi', 1, 'ClientHi'],
    acc: ['acc', 'acc', 2, 'ClientAcc'],
    login: ['login', 'login', 3, 'ClientLogin'],
    sub: ['sub', 'sub', 4, 'ClientSub'],
    leave: ['leave', 'leave', 5, 'ClientLeave'],
    pub: ['pub', 'pub', 6, 'ClientPub'],
    get: ['get', 'get', 7, 'ClientGet'],
    set: ['set', 'set', 8, 'ClientSet'],
    del: ['del', 'del', 9, 'ClientDel'],
    note: ['note', 'note', 10, 'ClientNote'],
    extra: ['extra', 'extra', 13, 'ClientExtra'],
  },
} as const satisfies Readonly<Record<string, Fields>>;

/** Fields of the server messages (proto message name → fields). */
export const SERVER_FIELDS = {
  ServerCtrl: {
    id: ['id', 'id', 1, 'string'],
    topic: ['topic', 'topic', 2, 'string'],
    code: ['code', 'code', 3, 'int32'],
    text: ['text', 'text', 4, 'string'],
    params: ['params', 'params', 5, 'map<string,bytes>'],
    ts: ['ts', null, 0, ''],
  },
  ServerData: {
    topic: ['topic', 'topic', 1, 'string'],
    from: ['from', 'from_user_id', 2, 'string'],
    deleted: ['deleted', 'deleted_at', 3, 'int64'],
    seq: ['seq', 'seq_id', 4, 'int32'],
    head: ['head', 'head', 5, 'map<string,bytes>'],
    content: ['content', 'content', 6, 'bytes'],
    ts: ['ts', 'timestamp', 7, 'int64'],
  },
  ServerPres: {
    topic: ['topic', 'topic', 1, 'string'],
    src: ['src', 'src', 2, 'string'],
    what: ['what', 'what', 3, 'What'],
    ua: ['ua', 'user_agent', 4, 'string'],
    seq: ['seq', 'seq_id', 5, 'int32'],
    clear: ['clear', 'del_id', 6, 'int32'],
    delseq: ['delseq', 'del_seq', 7, 'repeated SeqRange'],
    tgt: ['tgt', 'target_user_id', 8, 'string'],
    act: ['act', 'actor_user_id', 9, 'string'],
    dacs: ['dacs', 'acs', 10, 'AccessMode'],
  },
  ServerMeta: {
    id: ['id', 'id', 1, 'string'],
    topic: ['topic', 'topic', 2, 'string'],
    desc: ['desc', 'desc', 3, 'TopicDesc'],
    sub: ['sub', 'sub', 4, 'repeated TopicSub'],
    del: ['del', 'del', 5, 'DelValues'],
    tags: ['tags', 'tags', 6, 'repeated string'],
    cred: ['cred', 'cred', 7, 'repeated ServerCred'],
    aux: ['aux', 'aux', 8, 'map<string,bytes>'],
    ts: ['ts', null, 0, ''],
  },
  ServerInfo: {
    topic: ['topic', 'topic', 1, 'string'],
    from: ['from', 'from_user_id', 2, 'string'],
    what: ['what', 'what', 3, 'InfoNote'],
    seq: ['seq', 'seq_id', 4, 'int32'],
    src: ['src', 'src', 5, 'string'],
    event: ['event', 'event', 6, 'CallEvent'],
    payload: ['payload', 'payload', 7, 'bytes'],
  },
  ServerMsg: {
    ctrl: ['ctrl', 'ctrl', 1, 'ServerCtrl'],
    data: ['data', 'data', 2, 'ServerData'],
    pres: ['pres', 'pres', 3, 'ServerPres'],
    meta: ['meta', 'meta', 4, 'ServerMeta'],
    info: ['info', 'info', 5, 'ServerInfo'],
    topic: [null, 'topic', 6, 'string'],
  },
} as const satisfies Readonly<Record<string, Fields>>;

/** Every described message, by proto message name. */
export const ALL_FIELDS: Readonly<Record<string, Fields>> = { ...PART_FIELDS, ...CLIENT_FIELDS, ...SERVER_FIELDS };

/** Which wire's names to take. */
export type Wire = 'json' | 'proto';

/** A message's field names on one wire: model name → wire name ('' where that wire has none). */
export type Names<F extends Fields> = { readonly [K in keyof F]: string };

/** The names of a described message's fields on `wire`. */
export function namesOf<F extends Fields>(fields: F, wire: Wire): Names<F> {
  const out: Record<string, string> = {};
  for (const [k, spec] of Object.entries(fields)) {
    out[k] = (wire === 'json' ? spec[0] : spec[1]) ?? '';
  }
  return out as Names<F>;
}
