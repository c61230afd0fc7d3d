import { describe, expect, it } from 'vitest';
import { decodeClientJson, DecodeError } from '../../../src/wire/codec/json-decode.js';
import { encodeServerJson } from '../../../src/wire/codec/json-encode.js';
import { REPLIES, reply } from '../../../src/wire/replies.js';

const ts = new Date('2025-01-02T03:04:05.678Z');

describe('decoding client messages', () => {
  it('reads every message kind as tinode-sdk sends it', () => {
    expect(decodeClientJson('{"hi":{"id":"65536","ver":"0.25.3","ua":"X (undefined); tinodejs/0.25.3","lang":"xx","platf":"web"}}')).toEqual({
      type: 'hi',
      id: '65536',
      topic: '',
      extra: null,
      body: { ver: '0.25.3', ua: 'X (undefined); tinodejs/0.25.3', lang: 'xx', platf: 'web' },
    });
    const acc = decodeClientJson(
      '{"acc":{"id":"2","user":"new","scheme":"basic","secret":"YWxpY2U6YWxpY2UxMjM=","login":true,"tags":["t1"],"desc":{"public":{"fn":"A"}},"cred":[{"meth":"email","val":"a@b.c"}]}}',
    );
    expect(acc.type).toBe('acc');
    expect(acc.type === 'acc' && acc.body.secret?.toString()).toBe('alice:alice123');
    expect(decodeClientJson('{"login":{"id":"3","scheme":"token","secret":"AAEC"}}').type).toBe('login');
    const sub = decodeClientJson('{"sub":{"id":"4","topic":"me","get":{"what":"desc sub","desc":{"ims":"2025-01-02T03:04:05.678Z"},"sub":{"limit":10}}}}');
    expect(sub).toMatchObject({ type: 'sub', topic: 'me', body: { get: { what: 'desc sub', desc: { ims: ts }, sub: { limit: 10 } } } });
    expect(decodeClientJson('{"leave":{"id":"5","topic":"grpX","unsub":true}}')).toMatchObject({ type: 'leave', body: { unsub: true } });
    expect(decodeClientJson('{"pub":{"id":"6","topic":"grpX","noecho":true,"head":{"mime":"text/x-drafty"},"content":{"txt":"hi"}}}')).toMatchObject({
      type: 'pub',
      body: { noecho: true, head: { mime: 'text/x-drafty' }, content: { txt: 'hi' } },
    });
    expect(decodeClientJson('{"get":{"id":"7","topic":"grpX","what":"data","data":{"ranges":[{"low":1,"hi":5}]}}}')).toMatchObject({
      type: 'get',
      body: { what: 'data', data: { ranges: [{ low: 1, hi: 5 }] } },
    });
    expect(decodeClientJson('{"set":{"id":"8","topic":"me","tags":["a1"],"aux":{"k":1}}}')).toMatchObject({ type: 'set', body: { tags: ['a1'], aux: { k: 1 } } });
    expect(decodeClientJson('{"del":{"id":"9","topic":"grpX","what":"msg","delseq":[{"low":3}],"hard":true}}')).toMatchObject({
      type: 'del',
      body: { what: 'msg', delseq: [{ low: 3 }], hard: true },
    });
    expect(decodeClientJson('{"note":{"topic":"grpX","what":"read","seq":4}}')).toMatchObject({ type: 'note', id: '', body: { what: 'read', seq: 4 } });
    expect(decodeClientJson('{"get":{"id":"1","topic":"me","what":"desc"},"extra":{"obo":"usrX","authlevel":"auth"}}').extra).toEqual({ obo: 'usrX', authlevel: 'auth' });
  });

  it('ignores unknown fields and treats null as missing', () => {
    expect(decodeClientJson('{"sub":{"id":"1","topic":"me","weird":[1,2],"set":null},"other":5}')).toEqual({ type: 'sub', id: '1', topic: 'me', extra: null, body: {} });
  });

  it('takes the first kind in the reference order when a packet holds several', () => {
    expect(decodeClientJson('{"hi":{"id":"1","ver":"0.25"},"pub":{"id":"2","topic":"t","content":1}}').type).toBe('pub');
  });

  it('refuses malformed packets', () => {
    for (const bad of ['', 'nope', '[]', '5', '{}', '{"x":{}}', '{"hi":"str"}', '{"hi":{"ver":1}}', '{"sub":{"topic":"me","get":{"what":5}}}', '{"login":{"secret":"not base64!"}}', '{"get":{"topic":"me","what":"sub","sub":{"ims":"yesterday"}}}', '{"get":{"topic":"me","what":"data","data":{"limit":1.5}}}', '{"note":{"topic":"t","what":"kp","seq":"1"}}']) {
      expect(() => decodeClientJson(bad), bad).toThrow(DecodeError);
    }
  });
});

describe('encoding server messages', () => {
  it('writes ctrl with the reference field order, omitting empty fields', () => {
    expect(encodeServerJson(reply('ok', '1', 'me', ts))).toBe('{"ctrl":{"id":"1","topic":"me","code":200,"text":"ok","ts":"2025-01-02T03:04:05.678Z"}}');
    expect(encodeServerJson(reply('malformed', '', '', ts))).toBe('{"ctrl":{"code":400,"text":"malformed","ts":"2025-01-02T03:04:05.678Z"}}');
    expect(encodeServerJson(reply('noContent', '2', 'fnd', ts, { what: 'sub' }))).toBe(
      '{"ctrl":{"id":"2","topic":"fnd","params":{"what":"sub"},"code":204,"text":"no content","ts":"2025-01-02T03:04:05.678Z"}}',
    );
  });

  it('writes meta, data, pres and info as the reference does', () => {
    expect(
      encodeServerJson({
        meta: { id: '3', topic: 'me', ts, desc: { created: ts, defacs: { auth: 'JRWPAS', anon: 'N' }, acs: { want: 'JPS', given: 'JPS', mode: 'JPS' }, seq: 0, public: { fn: 'A' }, private: null } },
      }),
    ).toBe(
      '{"meta":{"id":"3","topic":"me","ts":"2025-01-02T03:04:05.678Z","desc":{"created":"2025-01-02T03:04:05.678Z","defacs":{"auth":"JRWPAS","anon":"N"},"acs":{"want":"JPS","given":"JPS","mode":"JPS"},"public":{"fn":"A"}}}}',
    );
    expect(encodeServerJson({ meta: { topic: 'fnd', sub: [{ acs: {}, topic: 'usrX', public: '' }] } })).toBe('{"meta":{"topic":"fnd","sub":[{"acs":{},"public":"","topic":"usrX"}]}}');
    expect(encodeServerJson({ data: { topic: 'grpX', from: 'usrA', ts, seq: 1, content: 'hi' } })).toBe(
      '{"data":{"topic":"grpX","from":"usrA","ts":"2025-01-02T03:04:05.678Z","seq":1,"content":"hi"}}',
    );
    expect(encodeServerJson({ pres: { topic: 'me', src: 'usrB', what: 'on', ua: '' } })).toBe('{"pres":{"topic":"me","src":"usrB","what":"on"}}');
    expect(encodeServerJson({ info: { topic: 'grpX', from: 'usrA', what: 'kp' } })).toBe('{"info":{"topic":"grpX","from":"usrA","what":"kp"}}');
  });

  it('has the reference code and text for every reply', () => {
    expect(REPLIES.accepted).toEqual([202, 'accepted']);
    expect(REPLIES.validateCredentials).toEqual([300, 'validate credentials']);
    expect(REPLIES.alreadySubscribed).toEqual([304, 'already subscribed']);
    expect(REPLIES.attachFirst).toEqual([409, 'must attach first']);
    expect(REPLIES.policy).toEqual([422, 'policy violation']);
    expect(REPLIES.locked).toEqual([503, 'locked']);
    expect(REPLIES.versionNotSupported).toEqual([505, 'version not supported']);
    expect(new Set(Object.values(REPLIES).map(([c, t]) => `${c} ${t}`)).size).toBe(Object.keys(REPLIES).length);
  });
});
