/**
 * What the fuzzer knows of the server before it starts: the sample users it logs in as (with a
 * token each, so that logging in costs no bcrypt), every user id, and the names of the sample
 * group topics, channels and p2p topics. Learned once at setup; the frames then depend only on
 * the seed and on this.
 */

/** A sample user a fuzz session logs in as. */
export interface FuzzUser {
  login: string;
  password: string;
  /** `usr…` */
  uid: string;
  /** Base64 token for `{login scheme=token}`. */
  token: string;
}

export interface World {
  /** The users fuzz sessions log in as (never the control pair). */
  users: FuzzUser[];
  /** Every user id the fuzzer may name: the fuzz users, the control pair, the bot. */
  uids: string[];
  /** `grp…` names of the sample group topics. */
  groups: string[];
  /** `chn…` names of the sample channels. */
  channels: string[];
  /** `p2p…` names the fuzz users take part in. */
  p2p: string[];
}

/** Who a fuzz session is: a logged-in user, or nobody (with or without `{hi}` sent). */
export type Role = { kind: 'user'; user: FuzzUser } | { kind: 'hi' } | { kind: 'raw' };
