import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Raw JSON over a real websocket: every bad input gets the reference's ctrl answer, and neither
 * the session nor anyone else's session is disturbed.
 */
let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ max_message_size: 4096 });
});

afterAll(async () => {
  await srv.close();
});

const Raw = { open: () => RawClient.open(srv.host) };

describe('bad input', () => {
  it('answers each kind of bad message with the reference ctrl, and the session carries on', async () => {
    const c = await Raw.open();
    const bystander = await Raw.open();
    await bystander.hello();
    await bystander.login('bob');
    // Before {hi}.
    expect((await c.ask({ login: { id: '1', scheme: 'basic', secret: 'YTpi' } })).ctrl).toMatchObject({ id: '1', code: 409, text: 'command out of sequence' });
    expect((await c.ask({ sub: { id: '2', topic: 'me' } })).ctrl).toMatchObject({ id: '2', code: 409, text: 'command out of sequence' });
    // Malformed JSON, non-objects, unknown message types: 400 without id.
    for (const bad of ['{not json', '[1,2]', '"str"', '{}', '{"frob":{"id":"3"}}']) {
      expect((await c.ask(bad)).ctrl).toMatchObject({ code: 400, text: 'malformed' });
    }
    // Wrong field types: the whole packet is malformed.
    expect((await c.ask({ hi: { id: '4', ver: 25 } })).ctrl).toMatchObject({ code: 400, text: 'malformed' });
    expect((await c.ask({ hi: { id: '5', ver: '0.25.3', bkg: 'yes' } })).ctrl).toMatchObject({ code: 400 });
    // A version that cannot be parsed, and one that is too old.
    expect((await c.ask({ hi: { id: '6', ver: 'banana' } })).ctrl).toMatchObject({ id: '6', code: 400 });
    expect((await c.ask({ hi: { id: '7', ver: '0.10' } })).ctrl).toMatchObject({ id: '7', code: 505, text: 'version not supported' });
    await c.hello();
    // Changing the version later is out of sequence.
    expect((await c.ask({ hi: { id: '8', ver: '0.24.0' } })).ctrl).toMatchObject({ id: '8', code: 409 });
    // Before login.
    expect((await c.ask({ sub: { id: '9', topic: 'me' } })).ctrl).toMatchObject({ id: '9', code: 401, text: 'authentication required' });
    expect((await c.ask({ get: { id: '10', topic: 'me', what: 'desc' } })).ctrl).toMatchObject({ id: '10', code: 401 });
    // Bad secrets and schemes.
    expect((await c.ask({ login: { id: '11', scheme: 'basic', secret: '***' } })).ctrl).toMatchObject({ code: 400 });
    expect((await c.ask({ login: { id: '12', scheme: 'nope', secret: 'YTpi' } })).ctrl).toMatchObject({ id: '12', code: 401, text: 'unknown authentication scheme' });
    expect((await c.ask({ login: { id: '13', scheme: 'basic', secret: Buffer.from('nocolon').toString('base64') } })).ctrl).toMatchObject({ id: '13', code: 400 });
    await c.login('alice');
    // Missing and wrong fields of requests.
    expect((await c.ask({ sub: { id: '14' } })).ctrl).toMatchObject({ id: '14', code: 400 });
    expect((await c.ask({ get: { id: '15', topic: 'me', what: 'nonsense' } })).ctrl).toMatchObject({ id: '15', code: 400 });
    expect((await c.ask({ set: { id: '16', topic: 'me' } })).ctrl).toMatchObject({ id: '16', code: 400 });
    expect((await c.ask({ del: { id: '17', topic: 'me', what: 'everything' } })).ctrl).toMatchObject({ id: '17', code: 400 });
    expect((await c.ask({ get: { id: '18', topic: 'usr!!!', what: 'desc' } })).ctrl).toMatchObject({ id: '18', code: 400 });
    expect((await c.ask({ pub: { id: '19', topic: 'me', content: 'x' } })).ctrl).toMatchObject({ id: '19', code: 409, text: 'must attach first' });
    expect((await c.ask({ leave: { id: '20', topic: 'me' } })).ctrl).toMatchObject({ id: '20', code: 304, text: 'not joined' });
    // Acting on behalf of someone needs root.
    expect((await c.ask({ get: { id: '21', topic: 'me', what: 'desc' }, extra: { obo: 'usrAAAAAAAAAAA' } })).ctrl).toMatchObject({ code: 403 });
    // Unknown fields are ignored.
    const ok = await c.ask({ sub: { id: '22', topic: 'me', frobnicate: true }, weird: 1 });
    expect(ok.ctrl).toMatchObject({ id: '22', code: 200, topic: 'me' });
    expect((await c.ask({ sub: { id: '23', topic: 'me' } })).ctrl).toMatchObject({ id: '23', code: 304, text: 'already subscribed' });
    // The probe.
    expect((await c.ask('1')).probe).toBeDefined();
    // Nobody else noticed.
    expect((await bystander.ask({ sub: { id: 'b', topic: 'me' } })).ctrl).toMatchObject({ id: 'b', code: 200 });
    c.ws.close();
    bystander.ws.close();
  });

  it('closes only the offending connection on a frame over max_message_size', async () => {
    const c = await Raw.open();
    const other = await Raw.open();
    await c.hello();
    c.send({ pub: { id: 'x', topic: 'me', content: 'y'.repeat(5000) } });
    await new Promise((r) => setTimeout(r, 200));
    expect(c.closeCode).toBe(1009);
    await other.hello();
    other.ws.close();
  });

  it('processes messages strictly in order, login right after hi', async () => {
    const c = await Raw.open();
    c.send({ hi: { id: '1', ver: '0.25.3' } });
    c.send({ login: { id: '2', scheme: 'basic', secret: Buffer.from('dave:dave123').toString('base64') } });
    c.send({ sub: { id: '3', topic: 'me' } });
    c.send({ get: { id: '4', topic: 'me', what: 'desc' } });
    const ids = [];
    while (ids.length < 4) {
      const m = await c.next();
      // Presence of contacts may arrive in between; replies keep their order.
      if (m.ctrl || m.meta) ids.push(m.ctrl?.id ?? m.meta?.id);
    }
    expect(ids).toEqual(['1', '2', '3', '4']);
    c.ws.close();
  });
});
