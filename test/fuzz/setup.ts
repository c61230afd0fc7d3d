import { RawClient } from '../helpers/raw.js';
import type { FuzzUser, World } from './world.js';

/**
 * Learns the {@link World} from a fresh server with the sample data: logs each sample user in
 * once over websocket (their ids and tokens), lists the topics of the fuzz users, and takes the
 * bot's id from the server log.
 */

/** The sample users the fuzz sessions log in as. */
export const FUZZ_LOGINS = ['alice', 'bob', 'carol'] as const;
/** The control pair: sample users no fuzz session logs in as. */
export const CONTROL_LOGINS = ['dave', 'frank'] as const;

/** Logs `login` in with its sample password; returns the user and the client, ready. */
export async function loginSample(host: string, login: string): Promise<{ user: FuzzUser; client: RawClient }> {
  const client = await RawClient.open(host);
  await client.hello();
  const password = `${login}123`;
  const r = await client.login(login, password);
  const params = r.ctrl?.params as { user?: string; token?: string } | undefined;
  if (!params?.user || !params.token) throw new Error(`login ${login}: no user or token in ${JSON.stringify(r)}`);
  return { user: { login, password, uid: params.user, token: params.token }, client };
}

/**
 * The p2p topic of two users as Tinode names it: `p2p` and both ids (8 little-endian bytes each,
 * the smaller value first) in unpadded base64url. `me` lists p2p topics by the peer's `usr…`
 * name, so the fuzzer writes the `p2p…` names itself.
 */
export function p2pName(a: string, b: string): string {
  const bytes = (u: string) => Buffer.from(u.slice(3), 'base64url');
  const [x, y] = [bytes(a), bytes(b)];
  const [lo, hi] = x.readBigUInt64LE() < y.readBigUInt64LE() ? [x, y] : [y, x];
  return 'p2p' + Buffer.concat([lo, hi]).toString('base64url');
}

/** Topic names in a `{meta sub}` of `me`. */
async function topicsOf(client: RawClient): Promise<string[]> {
  await client.reply({ sub: { id: 'me', topic: 'me' } });
  const r = await client.reply({ get: { id: 'subs', topic: 'me', what: 'sub' } });
  const subs = (r.meta?.sub ?? []) as { topic?: string }[];
  return subs.map((s) => s.topic ?? '').filter((t) => t.length > 0);
}

export async function learnWorld(host: string, serverLog: () => string): Promise<{ world: World; control: FuzzUser[] }> {
  const users: FuzzUser[] = [];
  const topics = new Set<string>();
  for (const login of FUZZ_LOGINS) {
    const { user, client } = await loginSample(host, login);
    users.push(user);
    for (const t of await topicsOf(client)) topics.add(t);
    client.close();
  }
  const control: FuzzUser[] = [];
  for (const login of CONTROL_LOGINS) {
    const { user, client } = await loginSample(host, login);
    control.push(user);
    client.close();
  }
  const bot = /sample user quotebot \((usr[\w-]+)\)/.exec(serverLog())?.[1];
  const sorted = [...topics].sort();
  const groups = sorted.filter((t) => t.startsWith('grp'));
  const channels = sorted.filter((t) => t.startsWith('chn'));
  const uids = [...users, ...control].map((u) => u.uid).concat(bot ? [bot] : []);
  const world: World = {
    users,
    uids,
    groups,
    // A channel reader sees `chn…`; the others are named after their groups, which may not be channels.
    channels: channels.length > 0 ? channels : groups.map((g) => `chn${g.slice(3)}`),
    p2p: users.flatMap((u) => uids.filter((v) => v !== u.uid).map((v) => p2pName(u.uid, v))),
  };
  if (world.groups.length === 0 || world.p2p.length === 0) throw new Error(`sample topics not found: ${sorted.join(' ')}`);
  return { world, control };
}
