import { isChannel, userId, type Uid } from '../../src/model/uid.js';
import type { AccessModeMsg, RangeMsg } from '../../src/wire/server-messages.js';
import type { TopicEnv } from './env.js';
import { MODE_JOIN, MODE_PRES } from '../../src/model/access.js';

/**
 * Presence between topics, routed through the hub: a user's `me` tells its contacts it is
 * online or offline; topics tell users' `me` about changes. The receiving topic decides what
 * its sessions see.
 */

/** Extra values a presence notification may carry. */
export interface PresParams {
  ua?: string;
  seq?: number;
  clear?: number;
  delseq?: RangeMsg[];
  actor?: string;
  target?: string;
  dacs?: AccessModeMsg;
}

/**
 * Where a contact hears about a user's `what`: on its `me`, or (for `upd` and `ua` of a group)
 * on the group topic itself; '' for nowhere (channels, or updates to contacts that are offline).
 */
export function notifyOn(topic: string, what: string, online: boolean): string {
  if (isChannel(topic)) {
    return '';
  }
  if (what === 'upd' || what === 'ua') {
    if (!online) {
      return '';
    }
    if (topic.startsWith('grp')) {
      return topic;
    }
  }
  return 'me';
}

/** Whether a user with `mode` gets `what` from a topic it is not attached to. */
export function presOfflineFilter(mode: number, what: string, filterIn = 0, filterOut = 0): boolean {
  if (what === 'acs' || what === 'gone') {
    return true;
  }
  if (what === 'upd' && (mode & MODE_JOIN) !== 0) {
    return true;
  }
  return (mode & MODE_PRES) !== 0 && (filterIn === 0 || (mode & filterIn) !== 0) && (filterOut === 0 || (mode & filterOut) === 0);
}

/** Tells one user's `me` about something that happened in a topic (`src` as the user knows it). */
export function presToUser(
  env: TopicEnv,
  uid: Uid,
  src: string,
  what: string,
  params: PresParams = {},
  opts: { skipSid?: string; skipTopic?: string; wantReply?: boolean } = {},
): void {
  const user = userId(uid);
  env.host.route(user, {
    kind: 'pres',
    pres: {
      topic: 'me',
      what,
      src,
      ua: params.ua,
      seq: params.seq,
      clear: params.clear,
      delseq: params.delseq,
      act: params.actor && params.actor !== user ? params.actor : undefined,
      tgt: params.target && params.target !== user ? params.target : undefined,
      dacs: params.dacs,
    },
    wantReply: opts.wantReply ?? what.startsWith('?unkn'),
    skipSid: opts.skipSid,
    skipTopic: opts.skipTopic,
  });
}

/** A user who is not online tells every contact in these topics (`gone` when the account is deleted). */
export function presUsersOfInterestOffline(env: TopicEnv, uid: Uid, topics: readonly string[], what: string): void {
  for (const topic of topics) {
    const on = notifyOn(topic, what, true);
    if (!on) continue;
    env.host.route(topic, { kind: 'pres', pres: { topic: on, what, src: userId(uid) } });
  }
}
