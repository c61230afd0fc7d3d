import type { ServerMessage } from '../../../../src/wire/server-messages.js';

/**
 * Representative messages for the codec goldens: every server message kind with its fields set,
 * and client packets (JSON text) of every kind, including ones the decoder must refuse.
 */
const ts = new Date('2025-01-02T03:04:05.678Z');
const ts2 = new Date('2025-02-03T04:05:06.789Z');

export const SERVER_SAMPLES: Record<string, ServerMessage> = {
  ctrlOk: { ctrl: { id: '1a', topic: 'grpAbc', code: 200, text: 'ok', ts } },
  ctrlParams: { ctrl: { id: '2', topic: 'usrX', params: { what: 'data', count: 3, nested: { a: [1, 'b', null] } }, code: 201, text: 'created', ts } },
  ctrlBare: { ctrl: { code: 400, text: 'malformed', ts } },
  data: { data: { topic: 'grpAbc', from: 'usrAlice', ts, seq: 42, content: 'hello' } },
  dataRich: { data: { topic: 'p2pAB', from: 'usrB', ts, deleted: ts2, seq: 7, head: { mime: 'text/x-drafty', reply: '3' }, content: { txt: 'hi', fmt: [{ at: 0, len: 2, tp: 'ST' }] } } },
  dataNull: { data: { topic: 'grpAbc', ts, seq: 1, content: null } },
  presOn: { pres: { topic: 'me', src: 'usrBob', what: 'on' } },
  presMsg: { pres: { topic: 'grpAbc', src: 'grpAbc', what: 'msg', seq: 99, ua: 'x' } },
  presDel: { pres: { topic: 'grpAbc', what: 'del', seq: 5, clear: 4, delseq: [{ low: 1, hi: 3 }, { low: 5 }] } },
  presAcs: { pres: { topic: 'me', src: 'grpAbc', what: 'acs', tgt: 'usrC', act: 'usrD', dacs: { want: '+W', given: '-D', mode: 'JRWP' } } },
  metaSub: {
    meta: {
      id: '5',
      topic: 'me',
      ts,
      sub: [
        { updated: ts, online: true, acs: { want: 'JRWPS', given: 'JRWPS', mode: 'JRWPS' }, read: 3, recv: 4, public: { fn: 'Alice' }, private: ['x'], topic: 'usrAlice', touched: ts2, seq: 10, seen: { when: ts2, ua: 'tinodejs' } },
        { acs: {}, user: 'usrB', deleted: ts2, trusted: { verified: true }, clear: 2, subcnt: 3 },
      ],
    },
  },
  metaDesc: {
    meta: {
      id: '6',
      topic: 'grpAbc',
      ts,
      desc: { created: ts, updated: ts2, touched: ts2, state: 'ok', online: true, chan: true, seen: { when: ts }, defacs: { auth: 'JRWPS', anon: 'N' }, acs: { want: 'JRWP', given: 'JRWPASDO', mode: 'JRWP' }, seq: 12, read: 10, recv: 11, clear: 1, subcnt: 4, public: { fn: 'Group', note: 'x' }, trusted: { staff: true }, private: { comment: 'mine' } },
    },
  },
  metaOther: { meta: { id: '7', topic: 'grpAbc', ts, del: { clear: 3, delseq: [{ low: 1, hi: 2 }] }, tags: ['a', 'email:x@y.z'], cred: [{ meth: 'email', val: 'x@y.z', done: true }, { meth: 'tel' }], aux: { k: 'v', n: 1 } } },
  metaEmpty: { meta: { topic: 'grpAbc' } },
  info: { info: { topic: 'grpAbc', src: 'grpAbc', from: 'usrA', what: 'read', seq: 8 } },
  infoCall: { info: { topic: 'p2pAB', from: 'usrA', what: 'call', seq: 3, event: 'offer', payload: { sdp: 'v=0' } } },
  infoKp: { info: { topic: 'grpAbc', what: 'kp' } },
};

export const CLIENT_SAMPLES: Record<string, string> = {
  hi: '{"hi":{"id":"1","ver":"0.22","ua":"TinodeWeb/0.22","dev":"abc","lang":"en-US","platf":"web","bkg":true}}',
  acc: '{"acc":{"id":"2","user":"new","scheme":"basic","secret":"YWxpY2U6cGFzcw==","login":true,"tags":["a","b"],"desc":{"defacs":{"auth":"JRWPA","anon":"N"},"public":{"fn":"Alice"},"private":{"c":1}},"cred":[{"meth":"email","val":"a@b.c","params":{"x":1}}],"tmpscheme":"code","tmpsecret":"AAEC","status":"ok","authlevel":"auth"}}',
  login: '{"login":{"id":"3","scheme":"basic","secret":"YWxpY2U6cGFzcw==","cred":[{"meth":"email","resp":"123456"}]}}',
  sub: '{"sub":{"id":"4","topic":"grpAbc","set":{"desc":{"public":{"fn":"G"}},"sub":{"mode":"JRWP","user":"usrX"},"tags":["t"]},"get":{"what":"desc sub data del","desc":{"ims":"2025-01-02T03:04:05.678Z"},"sub":{"user":"usrX","limit":10},"data":{"since":3,"before":10,"limit":5},"del":{"ranges":[{"low":1,"hi":4}]}}}}',
  leave: '{"leave":{"id":"5","topic":"grpAbc","unsub":true}}',
  pub: '{"pub":{"id":"6","topic":"grpAbc","noecho":true,"head":{"mime":"text/x-drafty"},"content":{"txt":"hi"}}}',
  pubPlain: '{"pub":{"id":"6b","topic":"grpAbc","content":"hello"}}',
  get: '{"get":{"id":"7","topic":"me","what":"sub","sub":{"ims":"2025-01-02T03:04:05Z","topic":"grpX"}}}',
  set: '{"set":{"id":"8","topic":"grpAbc","desc":{"defacs":{"auth":"JRW"},"trusted":{"v":1}},"cred":{"meth":"email","val":"x@y.z"},"aux":{"k":"v"}}}',
  setAuxUpper: '{"set":{"id":"8b","topic":"grpAbc","Aux":{"k":"v"}}}',
  delMsg: '{"del":{"id":"9","topic":"grpAbc","what":"msg","delseq":[{"low":1,"hi":3},{"low":7}],"hard":true}}',
  delCred: '{"del":{"id":"10","topic":"me","what":"cred","cred":{"meth":"email","val":"x@y.z"}}}',
  note: '{"note":{"topic":"grpAbc","what":"read","seq":5,"unread":2}}',
  noteCall: '{"note":{"topic":"p2pAB","what":"call","seq":5,"event":"offer","payload":{"sdp":"v=0"}}}',
  extra: '{"pub":{"id":"11","topic":"grpAbc","content":"x"},"extra":{"attachments":["/v0/file/s/abc.jpg"],"obo":"usrZ","authlevel":"auth"}}',
  twoKinds: '{"note":{"topic":"grpAbc","what":"kp"},"leave":{"id":"12","topic":"grpAbc"}}',
  nulls: '{"pub":{"id":null,"topic":"grpAbc","noecho":null,"head":null,"content":null},"extra":null}',
  badJson: '{"pub":',
  notObject: '[1,2]',
  noKnown: '{"foo":{}}',
  badType: '{"pub":{"id":1,"topic":"grpAbc"}}',
  badNested: '{"sub":{"id":"1","topic":"t","get":{"what":"data","data":{"limit":"x"}}}}',
  badBase64: '{"login":{"id":"1","scheme":"basic","secret":"!!"}}',
  badTime: '{"get":{"id":"1","topic":"me","what":"desc","desc":{"ims":"yesterday"}}}',
  badList: '{"acc":{"id":"1","user":"new","tags":["a",2]}}',
  badRanges: '{"del":{"id":"1","topic":"t","what":"msg","delseq":{"low":1}}}',
  badExtra: '{"pub":{"id":"1","topic":"t"},"extra":{"obo":5}}',
  deep: `{"pub":{"id":"1","topic":"t","content":${'['.repeat(40)}${']'.repeat(40)}}}`,
  float: '{"note":{"topic":"t","what":"read","seq":1.5}}',
};

/** A stable, comparable rendering of decoded values (Dates and Buffers spelled out). */
export function render(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.toISOString() };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return v.map(render);
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = render(x);
    return o;
  }
  return v;
}
