import type { AccessModeMsg, CredServerMsg, CtrlMsg, DataMsg, InfoMsg, LastSeenMsg, MetaMsg, PresMsg, ServerMessage, TopicDescMsg, TopicSubMsg } from '../server-messages.js';
import { CALL_EVENT, enumEncode, INFO_NOTE, PRES_WHAT } from './proto-enums.js';
import type { PbAccessMode, PbServerCred, PbServerCtrl, PbServerData, PbServerInfo, PbServerMeta, PbServerMsg, PbServerPres, PbTopicDesc, PbTopicSub } from './proto-types.js';
import { ms, put, toDefacs, toJsonBytes, toJsonMap, toRanges } from './proto-writers.js';
import type { Obj } from './readers.js';

/** Server messages to pbx.ServerMsg plain objects, for `Type.fromObject`. */


function toAcs(a: AccessModeMsg | undefined): PbAccessMode | undefined {
  if (!a) return undefined;
  const o: Obj = {};
  put(o, 'want', a.want);
  put(o, 'given', a.given);
  return o;
}

function putSeen(o: Obj, s: LastSeenMsg | undefined): void {
  const when = ms(s?.when);
  if (when !== undefined) {
    o.last_seen_time = when;
    put(o, 'last_seen_user_agent', s?.ua);
  }
}

function toTopicDesc(d: TopicDescMsg): PbTopicDesc {
  const o: Obj = {};
  put(o, 'created_at', ms(d.created));
  put(o, 'updated_at', ms(d.updated));
  put(o, 'touched_at', ms(d.touched));
  put(o, 'defacs', toDefacs(d.defacs));
  put(o, 'acs', toAcs(d.acs));
  put(o, 'seq_id', d.seq);
  put(o, 'read_id', d.read);
  put(o, 'recv_id', d.recv);
  put(o, 'del_id', d.clear);
  put(o, 'public', toJsonBytes(d.public));
  put(o, 'private', toJsonBytes(d.private));
  put(o, 'state', d.state);
  put(o, 'trusted', toJsonBytes(d.trusted));
  putSeen(o, d.seen);
  put(o, 'is_chan', d.chan);
  put(o, 'online', d.online);
  return o;
}

function toTopicSub(s: TopicSubMsg): PbTopicSub {
  const o: Obj = {};
  put(o, 'updated_at', ms(s.updated));
  put(o, 'deleted_at', ms(s.deleted));
  put(o, 'online', s.online);
  o.acs = toAcs(s.acs) ?? {};
  put(o, 'read_id', s.read);
  put(o, 'recv_id', s.recv);
  put(o, 'public', toJsonBytes(s.public));
  put(o, 'private', toJsonBytes(s.private));
  put(o, 'user_id', s.user);
  put(o, 'topic', s.topic);
  put(o, 'touched_at', ms(s.touched));
  put(o, 'seq_id', s.seq);
  put(o, 'del_id', s.clear);
  putSeen(o, s.seen);
  put(o, 'trusted', toJsonBytes(s.trusted));
  return o;
}

function toServerCred(c: CredServerMsg): PbServerCred {
  const o: Obj = {};
  put(o, 'method', c.meth);
  put(o, 'value', c.val);
  put(o, 'done', c.done);
  return o;
}

function toCtrl(c: CtrlMsg): PbServerCtrl {
  const o: Obj = {};
  put(o, 'id', c.id);
  put(o, 'topic', c.topic);
  put(o, 'code', c.code);
  put(o, 'text', c.text);
  put(o, 'params', toJsonMap(c.params));
  return o;
}

function toData(d: DataMsg): PbServerData {
  const o: Obj = {};
  put(o, 'topic', d.topic);
  put(o, 'from_user_id', d.from);
  put(o, 'deleted_at', ms(d.deleted));
  put(o, 'seq_id', d.seq);
  put(o, 'head', toJsonMap(d.head));
  put(o, 'content', toJsonBytes(d.content));
  put(o, 'timestamp', ms(d.ts));
  return o;
}

function toPres(p: PresMsg): PbServerPres {
  const o: Obj = {};
  put(o, 'topic', p.topic);
  put(o, 'src', p.src);
  put(o, 'what', enumEncode(PRES_WHAT, p.what));
  put(o, 'user_agent', p.ua);
  put(o, 'seq_id', p.seq);
  put(o, 'del_id', p.clear);
  put(o, 'del_seq', toRanges(p.delseq));
  put(o, 'target_user_id', p.tgt);
  put(o, 'actor_user_id', p.act);
  put(o, 'acs', toAcs(p.dacs));
  return o;
}

function toMeta(m: MetaMsg): PbServerMeta {
  const o: Obj = {};
  put(o, 'id', m.id);
  put(o, 'topic', m.topic);
  if (m.desc) o.desc = toTopicDesc(m.desc);
  put(o, 'sub', m.sub?.map(toTopicSub));
  if (m.del) {
    const d: Obj = {};
    put(d, 'del_id', m.del.clear);
    put(d, 'del_seq', toRanges(m.del.delseq));
    o.del = d;
  }
  put(o, 'tags', m.tags);
  put(o, 'cred', m.cred?.map(toServerCred));
  put(o, 'aux', toJsonMap(m.aux));
  return o;
}

function toInfo(i: InfoMsg): PbServerInfo {
  const o: Obj = {};
  put(o, 'topic', i.topic);
  put(o, 'from_user_id', i.from);
  put(o, 'what', enumEncode(INFO_NOTE, i.what));
  put(o, 'seq_id', i.seq);
  put(o, 'src', i.src);
  put(o, 'event', enumEncode(CALL_EVENT, i.event));
  put(o, 'payload', toJsonBytes(i.payload));
  return o;
}

/** A plain pbx.ServerMsg object for `Type.fromObject` (see the module comment). */
export function encodeServerProto(msg: ServerMessage): PbServerMsg {
  if ('ctrl' in msg) return { ctrl: toCtrl(msg.ctrl) };
  if ('meta' in msg) return { meta: toMeta(msg.meta) };
  if ('data' in msg) return { data: toData(msg.data) };
  if ('pres' in msg) return { pres: toPres(msg.pres) };
  return { info: toInfo(msg.info) };
}
