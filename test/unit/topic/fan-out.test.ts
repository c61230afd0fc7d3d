import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeServerJson, serverJsonEncodings } from '../../../src/wire/codec/json-encode.js';
import { serializeServerMsg, serverProtoEncodings } from '../../../src/wire/codec/proto-codec.js';
import type { ServerMessage } from '../../../src/wire/server-messages.js';
import { openTopicHarness, type FakeClient, type TopicHarness } from '../../helpers/topic-harness.js';

/**
 * Fan-out encodes once: what a group sends to all its attached members is one message object,
 * so the transports' encoders (JSON for websocket and long polling, protobuf for gRPC) run once
 * for it, while each member still gets exactly the frame it got before. A real hub, topic code
 * and store (SQLite with the sample data); the test encodes what each fake client was handed as
 * its transport would. *HIKE is alice's group with bob, carol and frank.
 */
describe('fan-out', () => {
  let h: TopicHarness;
  let hike: string;

  beforeEach(async () => {
    h = await openTopicHarness();
    hike = h.groups.get('*HIKE') ?? '';
  });

  afterEach(async () => {
    await h.close();
  });

  async function joined(...logins: string[]): Promise<FakeClient[]> {
    const clients = logins.map((l) => h.client(l));
    for (const [i, c] of clients.entries()) await h.sub(c, hike, `join-${i}`);
    for (const c of clients) c.take();
    return clients;
  }

  /** Each recipient's frames in both formats, as the transports write them, and the encoder runs. */
  function encodeFor(perRecipient: ServerMessage[][]): { json: number; proto: number; texts: string[][]; bytes: string[][] } {
    const json0 = serverJsonEncodings.count;
    const proto0 = serverProtoEncodings.count;
    const texts = perRecipient.map((msgs) => msgs.map((m) => encodeServerJson(m)));
    const bytes = perRecipient.map((msgs) => msgs.map((m) => serializeServerMsg(m).toString('hex')));
    return { json: serverJsonEncodings.count - json0, proto: serverProtoEncodings.count - proto0, texts, bytes };
  }

  it('a join: the presence to the attached members is encoded once per format, and each gets it', async () => {
    const members = await joined('alice', 'bob', 'carol');
    await h.sub(h.client('frank'), hike, 'f1');
    const got = members.map((c) => c.take());
    const { json, proto, texts, bytes } = encodeFor(got);
    const expected = JSON.stringify({ pres: { topic: hike, src: h.users.get('frank'), what: 'on' } });
    for (const t of texts) expect(t.map((s) => JSON.parse(s) as unknown)).toEqual([JSON.parse(expected)]);
    for (const b of bytes) expect(b).toEqual(bytes[0]);
    expect(json).toBe(1);
    expect(proto).toBe(1);
  });

  it('a publication: the data to every member is encoded once per format, the same bytes to each', async () => {
    const members = await joined('alice', 'bob', 'carol', 'frank');
    await h.pub(members[1]!, hike, 'p1', 'to the summit');
    const got = members.map((c) => c.take().filter((m) => 'data' in m));
    const { json, proto, texts, bytes } = encodeFor(got);
    for (const b of bytes) expect(b).toEqual(bytes[0]);
    for (const t of texts) {
      expect(t).toEqual(texts[0]);
      expect(JSON.parse(t[0]!)).toMatchObject({ data: { topic: hike, from: h.users.get('bob'), content: 'to the summit' } });
    }
    expect(json).toBe(1);
    expect(proto).toBe(1);
  });
});
