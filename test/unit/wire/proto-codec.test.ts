import type { Enum, IConversionOptions } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type { ClientMessage } from '../../../src/wire/client-messages.js';
import { decodeClientJson, DecodeError } from '../../../src/wire/codec/json-decode.js';
import {
  AUTH_LEVEL,
  CALL_EVENT,
  decodeClientProto,
  decodeServerProto,
  DEL_WHAT,
  deserializeClientMsg,
  deserializeServerMsg,
  encodeClientProto,
  encodeServerProto,
  INFO_NOTE,
  PRES_WHAT,
  protoRoot,
  protoTypes,
  serializeClientMsg,
  serializeServerMsg,
  TO_OBJECT_OPTIONS,
  type PbClientMsg,
  type PbServerMsg,
} from '../../../src/wire/codec/proto-codec.js';
import type { ServerMessage } from '../../../src/wire/server-messages.js';

const { clientMsgType, serverMsgType } = protoTypes();
const ts = new Date('2025-01-02T03:04:05.678Z');
const ts2 = new Date('2025-02-03T04:05:06.789Z');
const received = new Date('2025-03-04T05:06:07.890Z');

/** ClientMessage → plain object → protobufjs message → bytes → message → plain object → ClientMessage. */
function clientTrip(msg: ClientMessage, opts: IConversionOptions = TO_OBJECT_OPTIONS): ClientMessage {
  const wire = clientMsgType.encode(clientMsgType.fromObject(encodeClientProto(msg))).finish();
  return decodeClientProto(clientMsgType.toObject(clientMsgType.decode(wire), opts));
}

function serverTrip(msg: ServerMessage, opts: IConversionOptions = TO_OBJECT_OPTIONS): ServerMessage {
  const wire = serverMsgType.encode(serverMsgType.fromObject(encodeServerProto(msg))).finish();
  return decodeServerProto(serverMsgType.toObject(serverMsgType.decode(wire), opts), received);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const CLIENT: ClientMessage[] = [
  {
    type: 'hi',
    id: '1',
    topic: '',
    extra: null,
    body: { ua: 'TinodeWeb/0.25 (Chrome); tinodejs/0.25.3', ver: '0.25.3', dev: 'dev-token', lang: 'en-US', platf: 'web', bkg: true },
  },
  {
    type: 'acc',
    id: '2',
    topic: '',
    extra: { attachments: ['/v0/file/s/abc.jpg', '/v0/file/s/def.png'], obo: 'usrAlice', authlevel: 'root' },
    body: {
      user: 'new',
      tmpscheme: 'code',
      tmpsecret: Buffer.from('123456'),
      status: 'ok',
      authlevel: 'auth',
      scheme: 'basic',
      secret: Buffer.from('alice:alice123'),
      login: true,
      tags: ['alice', 'email:alice@example.com'],
      desc: { defacs: { auth: 'JRWPAS', anon: 'N' }, public: { fn: 'Alice', photo: { ref: 'x' } }, trusted: { verified: true }, private: { comment: 'me' } },
      cred: [
        { meth: 'email', val: 'alice@example.com', params: { lang: 'en', n: 1, list: [1, 'two', null], deep: { a: false } } },
        { meth: 'tel', val: '+18003287448', resp: '123456' },
      ],
    },
  },
  { type: 'login', id: '3', topic: '', extra: null, body: { scheme: 'basic', secret: Buffer.from([0, 1, 2, 250, 255]), cred: [{ meth: 'email', resp: '000000' }] } },
  {
    type: 'sub',
    id: '4',
    topic: 'new',
    extra: null,
    body: {
      set: {
        desc: { defacs: { auth: 'JRWP' }, public: 'just a string', private: 42 },
        sub: { user: 'usrBob', mode: 'JRWPS' },
        tags: ['travel', 'hiking'],
        cred: { meth: 'email', val: 'bob@example.com' },
        aux: { pins: [1001, 23456] },
      },
      get: {
        what: 'desc sub data del',
        desc: { ims: ts },
        sub: { user: 'usrBob', topic: 'grpX', ims: ts2, limit: 10 },
        data: { since: 5, before: 100, limit: 24, ranges: [{ low: 1, hi: 5 }, { low: 7 }] },
      },
    },
  },
  { type: 'leave', id: '5', topic: 'grpChat', extra: null, body: { unsub: true } },
  {
    type: 'pub',
    id: '6',
    topic: 'grpChat',
    extra: { attachments: ['/v0/file/s/abc.jpg'] },
    body: { noecho: true, head: { mime: 'text/x-drafty', reply: ':12', webrtc: 'started', auto: true }, content: { txt: 'hi there', fmt: [{ at: 0, len: 2, tp: 'ST' }] } },
  },
  { type: 'pub', id: '6a', topic: 'grpChat', extra: null, body: { content: 'plain text' } },
  { type: 'get', id: '7', topic: 'me', extra: null, body: { what: 'sub desc tags cred', sub: { ims: ts, limit: 3 }, desc: { ims: ts2 } } },
  { type: 'get', id: '7a', topic: 'grpChat', extra: null, body: { what: 'data', data: { ranges: [{ low: 10, hi: 20 }] } } },
  {
    type: 'set',
    id: '8',
    topic: 'grpChat',
    extra: { obo: 'usrCarol' },
    body: { desc: { trusted: { staff: true } }, tags: ['work'], aux: { pins: [3], theme: 'dark', zero: 0, empty: '' } },
  },
  { type: 'set', id: '8a', topic: 'me', extra: null, body: { cred: { meth: 'email', val: 'a@b.c', resp: '123', params: { k: 'v' } } } },
  { type: 'del', id: '9', topic: 'grpChat', extra: null, body: { what: 'msg', delseq: [{ low: 3 }, { low: 5, hi: 9 }], hard: true } },
  { type: 'del', id: '9a', topic: 'grpChat', extra: null, body: { what: 'topic', hard: true } },
  { type: 'del', id: '9b', topic: 'grpChat', extra: null, body: { what: 'sub', user: 'usrBob' } },
  { type: 'del', id: '9c', topic: '', extra: null, body: { what: 'user', user: 'usrBob', hard: true } },
  { type: 'del', id: '9d', topic: 'me', extra: null, body: { what: 'cred', cred: { meth: 'email', val: 'old@example.com' } } },
  { type: 'note', id: '', topic: 'grpChat', extra: null, body: { what: 'read', seq: 4, unread: 2 } },
  { type: 'note', id: '', topic: 'grpChat', extra: null, body: { what: 'recv', seq: 5 } },
  { type: 'note', id: '', topic: 'grpChat', extra: null, body: { what: 'kp' } },
  { type: 'note', id: '', topic: 'p2pAB', extra: { authlevel: 'anon' }, body: { what: 'call', seq: 6, event: 'ice-candidate', payload: { candidate: 'a=1', sdpMid: '0' } } },
];

const SERVER: ServerMessage[] = [
  { ctrl: { id: '1', topic: 'me', code: 200, text: 'ok', ts: received } },
  { ctrl: { id: '2', topic: 'grpChat', params: { what: 'data', count: 10, nested: { a: [1, 2] } }, code: 208, text: 'delivered', ts: received } },
  { ctrl: { code: 400, text: 'malformed', ts: received } },
  {
    data: {
      topic: 'grpChat',
      from: 'usrAlice',
      ts,
      deleted: ts2,
      seq: 123,
      head: { mime: 'text/x-drafty', forwarded: 'grpOther:5', auto: true },
      content: { txt: 'hello', ent: [{ tp: 'IM', data: { ref: '/v0/file/s/x.jpg' } }] },
    },
  },
  { data: { topic: 'grpChat', ts, seq: 1, content: 'system message' } },
  {
    pres: {
      topic: 'me',
      src: 'grpChat',
      what: 'acs',
      ua: 'TinodeWeb/0.25',
      seq: 10,
      clear: 3,
      delseq: [{ low: 1, hi: 3 }, { low: 7 }],
      tgt: 'usrBob',
      act: 'usrAlice',
      dacs: { want: '+R', given: '-W' },
    },
  },
  ...Object.values(PRES_WHAT).map((what): ServerMessage => ({ pres: { topic: 'me', src: 'usrBob', what } })),
  {
    meta: {
      id: '10',
      topic: 'grpChat',
      desc: {
        created: ts,
        updated: ts2,
        touched: received,
        state: 'ok',
        online: true,
        chan: true,
        seen: { when: ts2, ua: 'Tindroid/0.22' },
        defacs: { auth: 'JRWPS', anon: 'N' },
        acs: { want: 'JRWPASDO', given: 'JRWPASDO' },
        seq: 55,
        read: 50,
        recv: 52,
        clear: 4,
        public: { fn: 'Chat', note: 'about' },
        trusted: { verified: true },
        private: { comment: 'mine' },
      },
      sub: [
        {
          updated: ts,
          deleted: ts2,
          online: true,
          acs: { want: 'JRWPS', given: 'JRWPS' },
          read: 7,
          recv: 8,
          public: { fn: 'Bob' },
          trusted: { staff: true },
          private: ['a', 'b'],
          user: 'usrBob',
          topic: 'p2pAB',
          touched: received,
          seq: 9,
          clear: 2,
          seen: { when: ts, ua: 'Web' },
        },
        { acs: {}, topic: 'usrCarol', public: '' },
        { acs: { given: 'N' }, user: 'usrDan', seen: { when: ts2 } },
      ],
      del: { clear: 5, delseq: [{ low: 2, hi: 4 }] },
      tags: ['work', 'email:x@y.z'],
      cred: [{ meth: 'email', val: 'alice@example.com', done: true }, { meth: 'tel', val: '+1555' }],
      aux: { pins: [1, 2], flag: false },
    },
  },
  { meta: { topic: 'grpChat', del: {} } },
  { info: { topic: 'grpChat', src: 'grpChat', from: 'usrAlice', what: 'read', seq: 17 } },
  { info: { topic: 'me', src: 'p2pAB', from: 'usrAlice', what: 'call', seq: 18, event: 'hang-up', payload: { reason: 'busy' } } },
  ...Object.values(CALL_EVENT).map((event): ServerMessage => ({ info: { topic: 'p2pAB', from: 'usrBob', what: 'call', seq: 1, event } })),
  { info: { topic: 'grpChat', from: 'usrBob', what: 'kp' } },
  { info: { topic: 'grpChat', from: 'usrBob', what: 'recv', seq: 2 } },
];

describe('the schema', () => {
  it('loads proto/model.proto with both services', () => {
    const root = protoRoot();
    const node = root.lookupService('pbx.Node');
    expect(Object.keys(node.methods).sort()).toEqual(['LargeFileReceive', 'LargeFileServe', 'MessageLoop']);
    expect(node.methods.MessageLoop).toMatchObject({ requestType: 'ClientMsg', responseType: 'ServerMsg', requestStream: true, responseStream: true });
    expect(Object.keys(root.lookupService('pbx.Plugin').methods).sort()).toEqual(['Account', 'Find', 'FireHose', 'Message', 'Subscription', 'Topic']);
    expect(protoTypes().clientMsg).toBe(clientMsgType);
  });

  it('has every enum value the codec maps, and the codec maps every non-zero value', () => {
    const root = protoRoot();
    const tables: [string, Readonly<Record<number, string>>][] = [
      ['pbx.ClientDel.What', DEL_WHAT],
      ['pbx.InfoNote', INFO_NOTE],
      ['pbx.CallEvent', CALL_EVENT],
      ['pbx.ServerPres.What', PRES_WHAT],
      ['pbx.AuthLevel', AUTH_LEVEL],
    ];
    for (const [name, table] of tables) {
      const e = root.lookupEnum(name) as Enum;
      const fromSchema = Object.entries(e.values)
        .filter(([, n]) => n !== 0)
        .map(([k, n]) => [n, k] as const);
      const fromTable = Object.entries(table).map(([n, w]) => [Number(n), w.toUpperCase().replace(/-/g, '_')] as const);
      expect(fromTable.sort(), name).toEqual(fromSchema.sort());
    }
  });

  it('puts fields at the protocol numbers (golden bytes)', () => {
    const hi: ClientMessage = { type: 'hi', id: '1', topic: '', extra: { obo: 'u' }, body: {} };
    // hi = 1 { id = 1 "1" }, extra = 13 { on_behalf_of = 2 "u" }
    expect(hex(serializeClientMsg(hi))).toBe('0a030a0131' + '6a031201' + '75');
    // ctrl = 1 { code = 3: 200 }
    expect(hex(serializeServerMsg({ ctrl: { code: 200, ts } }))).toBe('0a0318c801');
    // meta = 4 { desc = 3 { is_chan = 17: true } }
    expect(hex(serializeServerMsg({ meta: { topic: '', desc: { chan: true } } }))).toBe('22051a03880101');
    // data = 2 { timestamp = 7: ms }
    const b = serializeServerMsg({ data: { topic: '', ts: new Date(1), seq: 0, content: null } });
    expect(hex(b)).toBe('12023801');
    // note = 10 { what = 2: KP (3), event = 5: HANG_UP (3) }
    expect(hex(serializeClientMsg({ type: 'note', id: 'x', topic: '', extra: null, body: { what: 'kp', event: 'hang-up' } }))).toBe('520410032803');
  });
});

describe('client messages through protobuf bytes', () => {
  it.each(CLIENT.map((m) => [`${m.type} ${m.id}`, m] as const))('%s comes back as it was', (_name, msg) => {
    expect(clientTrip(msg)).toEqual(msg);
    expect(deserializeClientMsg(serializeClientMsg(msg))).toEqual(msg);
  });

  it('covers every client message kind and every del/note kind', () => {
    expect(new Set(CLIENT.map((m) => m.type))).toEqual(new Set(['hi', 'acc', 'login', 'sub', 'leave', 'pub', 'get', 'set', 'del', 'note']));
    expect(new Set(CLIENT.flatMap((m) => (m.type === 'del' ? [m.body.what] : [])))).toEqual(new Set(Object.values(DEL_WHAT)));
    expect(new Set(CLIENT.flatMap((m) => (m.type === 'note' ? [m.body.what] : [])))).toEqual(new Set(Object.values(INFO_NOTE)));
  });

  it('decodes the same message as the JSON codec does', () => {
    const packets = [
      '{"hi":{"id":"1","ver":"0.25.3","ua":"X; tinodejs/0.25.3","lang":"xx","platf":"web"}}',
      '{"acc":{"id":"2","user":"new","scheme":"basic","secret":"YWxpY2U6YWxpY2UxMjM=","login":true,"tags":["t1"],"desc":{"public":{"fn":"A"}},"cred":[{"meth":"email","val":"a@b.c"}]}}',
      '{"sub":{"id":"4","topic":"me","get":{"what":"desc sub","desc":{"ims":"2025-01-02T03:04:05.678Z"},"sub":{"limit":10}}}}',
      '{"pub":{"id":"6","topic":"grpX","noecho":true,"head":{"mime":"text/x-drafty"},"content":{"txt":"hi"}}}',
      '{"get":{"id":"7","topic":"grpX","what":"data","data":{"ranges":[{"low":1,"hi":5}]}}}',
      '{"set":{"id":"8","topic":"me","tags":["a1"],"aux":{"k":1}}}',
      '{"del":{"id":"9","topic":"grpX","what":"msg","delseq":[{"low":3}],"hard":true}}',
      '{"note":{"topic":"grpX","what":"read","seq":4}}',
      '{"get":{"id":"1","topic":"me","what":"desc"},"extra":{"obo":"usrX","authlevel":"auth"}}',
    ];
    for (const text of packets) {
      const msg = decodeClientJson(text);
      expect(clientTrip(msg), text).toEqual(msg);
    }
  });

  it('reads the reference field names', () => {
    const pb: PbClientMsg = {
      acc: {
        id: '2',
        user_id: 'usrX',
        state: 'suspended',
        auth_level: 'AUTH',
        tmp_scheme: 'code',
        tmp_secret: Buffer.from('1'),
        token: Buffer.from('ignored'),
        desc: { default_acs: { anon: 'N' }, public: Buffer.from('{"fn":"X"}') },
        cred: [{ method: 'email', value: 'x@y.z', response: '12', params: { a: Buffer.from('1') } }],
      },
      extra: { on_behalf_of: 'usrRoot', auth_level: 'ROOT', attachments: ['/f'] },
      Message: 'acc',
    };
    expect(decodeClientProto(pb)).toEqual({
      type: 'acc',
      id: '2',
      topic: '',
      extra: { obo: 'usrRoot', authlevel: 'root', attachments: ['/f'] },
      body: {
        user: 'usrX',
        status: 'suspended',
        authlevel: 'auth',
        tmpscheme: 'code',
        tmpsecret: Buffer.from('1'),
        desc: { defacs: { anon: 'N' }, public: { fn: 'X' } },
        cred: [{ meth: 'email', val: 'x@y.z', resp: '12', params: { a: 1 } }],
      },
    });
    expect(
      decodeClientProto({ sub: { id: '1', topic: 'grpX', set_query: { sub: { user_id: 'usrY', mode: 'JRW' } }, get_query: { what: 'data', data: { since_id: 2, before_id: 9, if_modified_since: ts.getTime() } } } }),
    ).toEqual({ type: 'sub', id: '1', topic: 'grpX', extra: null, body: { set: { sub: { user: 'usrY', mode: 'JRW' } }, get: { what: 'data', data: { since: 2, before: 9, ims: ts } } } });
    expect(decodeClientProto({ hi: { user_agent: 'ua', device_id: 'd', platform: 'ios', background: true } })).toMatchObject({ body: { ua: 'ua', dev: 'd', platf: 'ios', bkg: true } });
    expect(decodeClientProto({ pub: { topic: 't', no_echo: true, content: Buffer.from('"x"') } })).toMatchObject({ body: { noecho: true, content: 'x' } });
    expect(decodeClientProto({ del: { topic: 't', what: 'SUB', user_id: 'usrZ', del_seq: [{ low: 1 }] } })).toMatchObject({ body: { what: 'sub', user: 'usrZ', delseq: [{ low: 1 }] } });
    expect(decodeClientProto({ note: { topic: 't', what: 'CALL', seq_id: 3, event: 'RINGING', payload: Buffer.from('{}') } })).toMatchObject({
      body: { what: 'call', seq: 3, event: 'ringing', payload: {} },
    });
  });

  it('writes the reference field names', () => {
    const set = CLIENT.find((m) => m.id === '8');
    expect(set && encodeClientProto(set)).toEqual({
      set: {
        id: '8',
        topic: 'grpChat',
        query: {
          desc: { trusted: Buffer.from('{"staff":true}') },
          tags: ['work'],
          aux: { pins: Buffer.from('[3]'), theme: Buffer.from('"dark"'), zero: Buffer.from('0'), empty: Buffer.from('""') },
        },
      },
      extra: { on_behalf_of: 'usrCarol' },
    });
    const note = CLIENT.find((m) => m.type === 'note' && m.body.what === 'call');
    expect(note && encodeClientProto(note)).toEqual({
      note: { topic: 'p2pAB', what: 'CALL', seq_id: 6, event: 'ICE_CANDIDATE', payload: Buffer.from('{"candidate":"a=1","sdpMid":"0"}') },
      extra: { auth_level: 'ANON' },
    });
  });

  it('accepts other protobufjs conversion options: enums as numbers, Long int64, base64 bytes', () => {
    for (const opts of [{}, { oneofs: true }, { enums: String, bytes: String }, { longs: String, enums: Number, arrays: true, defaults: true }] as IConversionOptions[]) {
      for (const msg of CLIENT) {
        expect(clientTrip(msg, opts), `${msg.type} ${msg.id} ${JSON.stringify(opts)}`).toEqual(msg);
      }
    }
  });

  it('reads zero values as absent and drops what the wire cannot carry', () => {
    const msg: ClientMessage = {
      type: 'sub',
      id: '',
      topic: 'grpX',
      extra: {},
      body: {
        set: { desc: {}, sub: { user: '' }, tags: [], aux: { gone: null } },
        get: { what: 'del', del: { since: 3 }, data: { since: 0, limit: 0, ranges: [{ low: 0, hi: 0 }] } },
      },
    };
    expect(clientTrip(msg)).toEqual({ type: 'sub', id: '', topic: 'grpX', extra: {}, body: { get: { what: 'del', data: { ranges: [{}] } } } });
    expect(clientTrip({ type: 'pub', id: '1', topic: 't', extra: null, body: { content: null, head: { a: null } } })).toEqual({
      type: 'pub',
      id: '1',
      topic: 't',
      extra: null,
      body: { content: null },
    });
    expect(clientTrip({ type: 'set', id: '1', topic: 't', extra: null, body: {} })).toEqual({ type: 'set', id: '1', topic: 't', extra: null, body: {} });
    expect(clientTrip({ type: 'get', id: '1', topic: 't', extra: null, body: { what: '' } })).toEqual({ type: 'get', id: '1', topic: 't', extra: null, body: { what: '' } });
    // A note has no id; kinds and levels with no enum value become the zero value.
    expect(clientTrip({ type: 'note', id: '9', topic: 't', extra: { authlevel: 'bogus' }, body: { what: 'kpa', event: 'bogus' } })).toEqual({
      type: 'note',
      id: '',
      topic: 't',
      extra: {},
      body: { what: '' },
    });
    expect(clientTrip({ type: 'del', id: '1', topic: 't', extra: null, body: { what: '' } })).toMatchObject({ body: { what: '' } });
    expect(clientTrip({ type: 'acc', id: '1', topic: '', extra: null, body: { authlevel: 'ROOT', secret: Buffer.alloc(0) } })).toMatchObject({ body: { authlevel: 'root' } });
  });

  it('takes the request named by the oneof, or the first one set', () => {
    expect(decodeClientProto({ hi: { ver: '1' }, leave: { topic: 't' }, Message: 'leave' }).type).toBe('leave');
    expect(decodeClientProto({ hi: { ver: '1' }, leave: { topic: 't' } }).type).toBe('hi');
    expect(decodeClientProto({ hi: {} })).toEqual({ type: 'hi', id: '', topic: '', extra: null, body: {} });
  });

  it('refuses malformed messages', () => {
    const bad: unknown[] = [
      {},
      { extra: { on_behalf_of: 'x' } },
      { Message: 'hi' },
      { hi: 'str' },
      { hi: { ver: 5 } },
      { hi: { background: 'yes' } },
      { pub: { topic: 't', content: Buffer.from('{not json') } },
      { pub: { topic: 't', head: { mime: Buffer.from('text/plain') } } },
      { acc: { desc: { public: Buffer.from('{"fn":') } } },
      { set: { query: { aux: { k: Buffer.from('undefined') } } } },
      { set: { query: { cred: { params: { k: Buffer.from('nope') } } } } },
      { note: { topic: 't', what: 'KP', payload: Buffer.from('\u0000') } },
      { login: { secret: 12 } },
      { login: { secret: 'not base64!' } },
      { get: { query: { what: 'data', data: { limit: 1.5 } } } },
      { get: { query: { what: 'data', data: { ranges: {} } } } },
      { get: { query: { what: 'sub', sub: { if_modified_since: 8640000000000001 } } } },
      { del: { what: true } },
      { sub: { get_query: [] } },
      { acc: { tags: 'x' } },
      { hi: {}, extra: 'x' },
      null,
      'hi',
    ];
    for (const m of bad) {
      expect(() => decodeClientProto(m as PbClientMsg), JSON.stringify(m)).toThrow(DecodeError);
    }
    expect(() => deserializeClientMsg(Buffer.from([0xff, 0xff, 0xff]))).toThrow(DecodeError);
    expect(() => deserializeClientMsg(Buffer.alloc(0))).toThrow(DecodeError);
    // pub = 6, a length past the end.
    expect(() => deserializeClientMsg(Buffer.from([0x32, 0x10, 0x0a]))).toThrow(DecodeError);
    // pub = 6 { content = 5 "{x" }
    expect(() => deserializeClientMsg(Buffer.from([0x32, 0x04, 0x2a, 0x02, 0x7b, 0x78]))).toThrow(/pub\.content/);
  });
});

describe('server messages through protobuf bytes', () => {
  it.each(SERVER.map((m, i) => [`${Object.keys(m)[0]} #${i}`, m] as const))('%s comes back as it was', (_name, msg) => {
    expect(serverTrip(msg)).toEqual(msg);
    expect(deserializeServerMsg(serializeServerMsg(msg), received)).toEqual(msg);
  });

  it('covers every server message kind and every pres/info kind', () => {
    expect(new Set(SERVER.map((m) => Object.keys(m)[0]))).toEqual(new Set(['ctrl', 'data', 'pres', 'meta', 'info']));
    expect(new Set(SERVER.flatMap((m) => ('info' in m ? [m.info.what] : [])))).toEqual(new Set(['read', 'recv', 'kp', 'call']));
  });

  it('writes the reference field names', () => {
    expect(encodeServerProto(SERVER[1] as ServerMessage)).toEqual({
      ctrl: {
        id: '2',
        topic: 'grpChat',
        code: 208,
        text: 'delivered',
        params: { what: Buffer.from('"data"'), count: Buffer.from('10'), nested: Buffer.from('{"a":[1,2]}') },
      },
    });
    expect(encodeServerProto({ data: { topic: 'grpX', from: 'usrA', ts, deleted: ts2, seq: 3, head: { a: 1, n: null }, content: null } })).toEqual({
      data: { topic: 'grpX', from_user_id: 'usrA', timestamp: ts.getTime(), deleted_at: ts2.getTime(), seq_id: 3, head: { a: Buffer.from('1') } },
    });
    expect(encodeServerProto({ pres: { topic: 'me', src: 'grpX', what: 'del', seq: 2, clear: 3, delseq: [{ low: 1 }], tgt: 'usrB', act: 'usrA', ua: 'x', dacs: { want: 'N', mode: 'N' } } })).toEqual({
      pres: { topic: 'me', src: 'grpX', what: 'DEL', seq_id: 2, del_id: 3, del_seq: [{ low: 1 }], target_user_id: 'usrB', actor_user_id: 'usrA', user_agent: 'x', acs: { want: 'N' } },
    });
    expect(
      encodeServerProto({
        meta: {
          id: '1',
          topic: 'me',
          desc: { created: ts, chan: true, online: true, seen: { when: ts2, ua: 'u' }, clear: 4, defacs: { auth: 'JRW' } },
          sub: [{ acs: {}, topic: 'grpX', clear: 2, seen: { when: ts } }],
          del: { clear: 1 },
          cred: [{ meth: 'email', val: 'a@b.c', done: true }],
        },
      }),
    ).toEqual({
      meta: {
        id: '1',
        topic: 'me',
        desc: { created_at: ts.getTime(), is_chan: true, online: true, last_seen_time: ts2.getTime(), last_seen_user_agent: 'u', del_id: 4, defacs: { auth: 'JRW' } },
        sub: [{ acs: {}, topic: 'grpX', del_id: 2, last_seen_time: ts.getTime() }],
        del: { del_id: 1 },
        cred: [{ method: 'email', value: 'a@b.c', done: true }],
      },
    });
    expect(encodeServerProto({ info: { topic: 't', src: 's', from: 'usrA', what: 'call', seq: 1, event: 'hang-up', payload: 'x' } })).toEqual({
      info: { topic: 't', src: 's', from_user_id: 'usrA', what: 'CALL', seq_id: 1, event: 'HANG_UP', payload: Buffer.from('"x"') },
    });
  });

  it('accepts other protobufjs conversion options', () => {
    for (const opts of [{}, { enums: String, bytes: String }, { longs: String, enums: Number, defaults: true, arrays: true, objects: true }] as IConversionOptions[]) {
      for (const msg of SERVER) {
        expect(serverTrip(msg, opts), JSON.stringify(opts)).toEqual(msg);
      }
    }
  });

  it('drops what the wire cannot carry and reads zero values as absent', () => {
    expect(serverTrip({ ctrl: { id: '', code: 200, text: 'ok', params: {}, ts } })).toEqual({ ctrl: { code: 200, text: 'ok', ts: received } });
    expect(
      serverTrip({
        meta: {
          topic: 'grpX',
          ts,
          desc: { seq: 0, acs: { want: 'N', given: 'N', mode: 'N' }, subcnt: 5, seen: { ua: 'no time' }, defacs: {}, public: null },
          sub: [{ acs: { mode: 'JRW' }, subcnt: 2, read: 0 }],
          tags: [],
          cred: [],
          aux: { gone: null },
        },
      }),
    ).toEqual({ meta: { topic: 'grpX', desc: { acs: { want: 'N', given: 'N' } }, sub: [{ acs: {} }] } });
    expect(serverTrip({ data: { topic: 'grpX', ts: new Date(0), seq: 0, content: null } })).toEqual({ data: { topic: 'grpX', ts: new Date(0), seq: 0, content: null } });
    expect(serverTrip({ pres: { topic: 'me', what: 'bogus' } })).toEqual({ pres: { topic: 'me', what: '' } });
    expect(serverTrip({ info: { topic: 't', what: 'kpv', event: 'bogus' } })).toEqual({ info: { topic: 't', what: '' } });
  });

  it('gives ctrl the time of decoding when none is passed', () => {
    const before = Date.now();
    const msg = deserializeServerMsg(serializeServerMsg({ ctrl: { code: 200, ts } }));
    expect('ctrl' in msg && msg.ctrl.ts.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('encodes a message object once', () => {
    const msg: ServerMessage = { data: { topic: 't', ts, seq: 1, content: 'x' } };
    expect(serializeServerMsg(msg)).toBe(serializeServerMsg(msg));
  });

  it('reads the reference field names', () => {
    const pb: PbServerMsg = {
      meta: {
        topic: 'fnd',
        sub: [{ user_id: 'usrX', public: Buffer.from('{"fn":"X"}'), last_seen_time: ts.getTime(), last_seen_user_agent: 'ua', deleted_at: '0' }],
        del: { del_id: 3, del_seq: [{ low: 1, hi: 2 }] },
      },
      topic: 'deprecated-and-ignored',
      Message: 'meta',
    };
    expect(decodeServerProto(pb)).toEqual({ meta: { topic: 'fnd', sub: [{ acs: {}, user: 'usrX', public: { fn: 'X' }, seen: { when: ts, ua: 'ua' } }], del: { clear: 3, delseq: [{ low: 1, hi: 2 }] } } });
    expect(decodeServerProto({ pres: { topic: 'me', what: 6, target_user_id: 'usrB', actor_user_id: 'usrA', acs: { given: 'JRW' } } })).toEqual({
      pres: { topic: 'me', what: 'acs', tgt: 'usrB', act: 'usrA', dacs: { given: 'JRW' } },
    });
    expect(decodeServerProto({ info: { topic: 't', from_user_id: 'usrA', what: 3, seq_id: 0 } })).toEqual({ info: { topic: 't', from: 'usrA', what: 'kp' } });
  });

  it('refuses malformed messages', () => {
    const bad: unknown[] = [
      {},
      { topic: 'x' },
      { ctrl: 5 },
      { ctrl: { code: 'x' } },
      { ctrl: { code: 200, params: { a: Buffer.from('{') } } },
      { data: { content: Buffer.from('nope') } },
      { data: { timestamp: 'yesterday' } },
      { meta: { desc: { public: Buffer.from('[1,') } } },
      { meta: { sub: [{ trusted: Buffer.from('tru') }] } },
      { meta: { sub: {} } },
      { meta: { aux: { k: Buffer.from('x') } } },
      { pres: { what: {} } },
      { info: { payload: Buffer.from('{') } },
      null,
    ];
    for (const m of bad) {
      expect(() => decodeServerProto(m as PbServerMsg), JSON.stringify(m)).toThrow(DecodeError);
    }
    expect(() => deserializeServerMsg(Buffer.from([0x0a, 0x05, 0x18]))).toThrow(DecodeError);
  });
});
