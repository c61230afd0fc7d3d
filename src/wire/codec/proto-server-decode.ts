import type { AccessModeMsg, DefaultAcsMsg, LastSeenMsg, RangeMsg, ServerMessage, TopicDescMsg, TopicSubMsg } from '../server-messages.js';
import { CALL_EVENT, enumDecode, INFO_NOTE, PRES_WHAT } from './proto-enums.js';
import { bool, int, int64, isObj, json, jsonMap, list, obj, PROTO_READERS, str, strList, time } from './proto-readers.js';
import type { PbServerMsg } from './proto-types.js';
import { clean, DecodeError, ranges as readRanges, type Obj } from './readers.js';

/** Server messages from pbx.ServerMsg plain objects (for clients and tests). */

function ranges(v: unknown, path: string): RangeMsg[] | undefined {
  return readRanges(PROTO_READERS, v, path);
}

function defacs(v: unknown, path: string): DefaultAcsMsg | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  const d = clean({ auth: str(o.auth, `${path}.auth`), anon: str(o.anon, `${path}.anon`) });
  return d.auth !== undefined || d.anon !== undefined ? d : undefined;
}


function acs(v: unknown, path: string): AccessModeMsg | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  return clean({ want: str(o.want, `${path}.want`), given: str(o.given, `${path}.given`) });
}

function seen(o: Obj, path: string): LastSeenMsg | undefined {
  const when = time(o.last_seen_time, `${path}.last_seen_time`);
  const ua = str(o.last_seen_user_agent, `${path}.last_seen_user_agent`);
  return when ? clean({ when, ua }) : undefined;
}

function topicDesc(v: unknown, path: string): TopicDescMsg | undefined {
  const o = obj(v, path);
  if (!o) return undefined;
  int64(o.state_at, `${path}.state_at`); // in the schema, not part of the JSON model
  return clean({
    created: time(o.created_at, `${path}.created_at`),
    updated: time(o.updated_at, `${path}.updated_at`),
    touched: time(o.touched_at, `${path}.touched_at`),
    state: str(o.state, `${path}.state`),
    online: bool(o.online, `${path}.online`),
    chan: bool(o.is_chan, `${path}.is_chan`),
    seen: seen(o, path),
    defacs: defacs(o.defacs, `${path}.defacs`),
    acs: acs(o.acs, `${path}.acs`),
    seq: int(o.seq_id, `${path}.seq_id`),
    read: int(o.read_id, `${path}.read_id`),
    recv: int(o.recv_id, `${path}.recv_id`),
    clear: int(o.del_id, `${path}.del_id`),
    public: json(o.public, `${path}.public`),
    trusted: json(o.trusted, `${path}.trusted`),
    private: json(o.private, `${path}.private`),
  });
}

function topicSub(v: unknown, path: string): TopicSubMsg {
  const o = obj(v, path) ?? {};
  return clean({
    updated: time(o.updated_at, `${path}.updated_at`),
    deleted: time(o.deleted_at, `${path}.deleted_at`),
    online: bool(o.online, `${path}.online`),
    acs: acs(o.acs, `${path}.acs`) ?? {},
    read: int(o.read_id, `${path}.read_id`),
    recv: int(o.recv_id, `${path}.recv_id`),
    public: json(o.public, `${path}.public`),
    trusted: json(o.trusted, `${path}.trusted`),
    private: json(o.private, `${path}.private`),
    user: str(o.user_id, `${path}.user_id`),
    topic: str(o.topic, `${path}.topic`),
    touched: time(o.touched_at, `${path}.touched_at`),
    seq: int(o.seq_id, `${path}.seq_id`),
    clear: int(o.del_id, `${path}.del_id`),
    seen: seen(o, path),
  });
}

function decodeServerBody(type: ServerKind, o: Obj, receivedAt: Date): ServerMessage {
  const p = type;
  switch (type) {
    case 'ctrl':
      return {
        ctrl: clean({
          id: str(o.id, `${p}.id`),
          topic: str(o.topic, `${p}.topic`),
          params: jsonMap(o.params, `${p}.params`),
          code: int(o.code, `${p}.code`) ?? 0,
          text: str(o.text, `${p}.text`),
          ts: receivedAt,
        }),
      };
    case 'data':
      return {
        data: clean({
          topic: str(o.topic, `${p}.topic`) ?? '',
          from: str(o.from_user_id, `${p}.from_user_id`),
          ts: new Date(int64(o.timestamp, `${p}.timestamp`) ?? 0),
          deleted: time(o.deleted_at, `${p}.deleted_at`),
          seq: int(o.seq_id, `${p}.seq_id`) ?? 0,
          head: jsonMap(o.head, `${p}.head`),
          content: json(o.content, `${p}.content`) ?? null,
        }),
      };
    case 'pres':
      return {
        pres: clean({
          topic: str(o.topic, `${p}.topic`) ?? '',
          src: str(o.src, `${p}.src`),
          what: enumDecode(PRES_WHAT, o.what, `${p}.what`),
          ua: str(o.user_agent, `${p}.user_agent`),
          seq: int(o.seq_id, `${p}.seq_id`),
          clear: int(o.del_id, `${p}.del_id`),
          delseq: ranges(o.del_seq, `${p}.del_seq`),
          tgt: str(o.target_user_id, `${p}.target_user_id`),
          act: str(o.actor_user_id, `${p}.actor_user_id`),
          dacs: acs(o.acs, `${p}.acs`),
        }),
      };
    case 'meta': {
      const del = obj(o.del, `${p}.del`);
      return {
        meta: clean({
          id: str(o.id, `${p}.id`),
          topic: str(o.topic, `${p}.topic`) ?? '',
          desc: topicDesc(o.desc, `${p}.desc`),
          sub: list(o.sub, `${p}.sub`)?.map((s, i) => topicSub(s, `${p}.sub[${i}]`)),
          del: del ? clean({ clear: int(del.del_id, `${p}.del.del_id`), delseq: ranges(del.del_seq, `${p}.del.del_seq`) }) : undefined,
          tags: strList(o.tags, `${p}.tags`),
          cred: list(o.cred, `${p}.cred`)?.map((c, i) => {
            const co = obj(c, `${p}.cred[${i}]`) ?? {};
            return clean({
              meth: str(co.method, `${p}.cred[${i}].method`),
              val: str(co.value, `${p}.cred[${i}].value`),
              done: bool(co.done, `${p}.cred[${i}].done`),
            });
          }),
          aux: jsonMap(o.aux, `${p}.aux`),
        }),
      };
    }
    case 'info':
      return {
        info: clean({
          topic: str(o.topic, `${p}.topic`) ?? '',
          src: str(o.src, `${p}.src`),
          from: str(o.from_user_id, `${p}.from_user_id`),
          what: enumDecode(INFO_NOTE, o.what, `${p}.what`),
          seq: int(o.seq_id, `${p}.seq_id`),
          event: enumDecode(CALL_EVENT, o.event, `${p}.event`) || undefined,
          payload: json(o.payload, `${p}.payload`),
        }),
      };
  }
}

const SERVER_KINDS = ['ctrl', 'data', 'pres', 'meta', 'info'] as const;
type ServerKind = (typeof SERVER_KINDS)[number];

/**
 * A server message from a plain pbx.ServerMsg object. ServerCtrl has no timestamp: `ctrl.ts` is
 * `receivedAt`, the time of decoding unless given. Throws {@link DecodeError} like
 * {@link decodeClientProto}.
 */
export function decodeServerProto(msg: PbServerMsg, receivedAt: Date = new Date()): ServerMessage {
  const m: unknown = msg;
  if (!isObj(m)) throw new DecodeError('not a ServerMsg object');
  const named = typeof m.Message === 'string' && (SERVER_KINDS as readonly string[]).includes(m.Message) ? (m.Message as ServerKind) : undefined;
  const type = named && isObj(m[named]) ? named : SERVER_KINDS.find((k) => m[k] !== undefined && m[k] !== null);
  if (!type) throw new DecodeError('no message in the ServerMsg');
  return decodeServerBody(type, obj(m[type], type) ?? {}, receivedAt);
}
