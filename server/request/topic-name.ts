import { fndName, p2pName, parseP2P, parseUid, parseUserId, prefixId, slfName, userId, type Uid } from '../../src/model/uid.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';

/** What a topic name from a client refers to, for the user who sent it. */
export type TopicKind = 'me' | 'fnd' | 'slf' | 'sys' | 'p2p' | 'grp' | 'new' | 'none';

/** A client's topic name resolved for one user: the only way a request reaches a topic. */
export interface ResolvedTopic {
  readonly kind: TopicKind;
  /**
   * The routable name: `usr<self>` for `me`, `fnd<self>`, `slf<self>`, `sys`, the canonical
   * `p2p…` name of the user and the peer, `grp…` (also for `chn…`); '' for a new group.
   */
  readonly name: string;
  /** p2p: the other user. */
  readonly peer: Uid;
  /** The client named a group as a channel (`chn…`), or asks for a new channel (`nch…`). */
  readonly channel: boolean;
  /**
   * p2p named by its `p2p…` name: it may be attached to, never created or re-joined (only the
   * peer's `usr…` id starts a conversation).
   */
  readonly existingOnly: boolean;
}

const malformed = () => new ProtocolError('malformed');

/**
 * Resolves the topic name a client sent into the topic it may reach as `asUser`. Every topic
 * request passes here first, so a name can only reach a topic of that user:
 * - `me`, `fnd`, `slf`, `sys` only as exactly those names;
 * - `usr<peer>`: the p2p topic with that user (400 for a bad id, 403 for oneself);
 * - `p2p<a><b>`: only from one of its two users; for anyone else it reaches no topic, answered
 *   as for a topic that does not exist, so that nobody learns who talks to whom;
 * - `grp<id>` and `chn<id>` in their canonical form (an id spelled another way is another name);
 * - `new…` and `nch…` only in `{sub}`, where they create a group or channel;
 * - anything else (`slf<other>`, `fnd<other>`, `me…`, `sys…`, …) reaches no topic.
 * A name that reaches no topic is refused in `{sub}` with 404 "topic not found", as the reference
 * does; other requests get kind `none` and then the answers of a topic one is not attached to
 * (409 "must attach first" for `{pub}`...), the same whether or not such a topic exists.
 * `isSub` says whether the request is a `{sub}`. Throws the reply as a {@link ProtocolError}.
 */
export function resolveTopic(original: string, asUser: Uid, isSub: boolean): ResolvedTopic {
  const base = { peer: 0n, channel: false, existingOnly: false };
  const nowhere = (): ResolvedTopic => {
    if (isSub) throw new ProtocolError('topicNotFound');
    return { ...base, kind: 'none', name: '' };
  };
  switch (original) {
    case '':
      throw malformed();
    case 'me':
      return { ...base, kind: 'me', name: userId(asUser) };
    case 'fnd':
      return { ...base, kind: 'fnd', name: fndName(asUser) };
    case 'slf':
      return { ...base, kind: 'slf', name: slfName(asUser) };
    case 'sys':
      return { ...base, kind: 'sys', name: 'sys' };
  }
  const prefix = original.slice(0, 3);
  switch (prefix) {
    case 'usr': {
      const peer = parseUserId(original);
      if (peer === 0n) throw malformed();
      if (peer === asUser) throw new ProtocolError('permissionDenied');
      return { ...base, kind: 'p2p', name: p2pName(asUser, peer), peer };
    }
    case 'p2p': {
      const pair = parseP2P(original);
      if (!pair || pair[0] === pair[1] || pair[0] === 0n || pair[1] === 0n) return nowhere();
      const peer = pair[0] === asUser ? pair[1] : pair[1] === asUser ? pair[0] : 0n;
      if (peer === 0n) return nowhere();
      return { ...base, kind: 'p2p', name: p2pName(asUser, peer), peer, existingOnly: true };
    }
    case 'grp':
    case 'chn': {
      const id = parseUid(original.slice(3));
      // One spelling per id: databases comparing names case-insensitively must not see another.
      if (id === 0n || prefixId(prefix, id) !== original) return nowhere();
      return { ...base, kind: 'grp', name: prefixId('grp', id), channel: prefix === 'chn' };
    }
    case 'new':
    case 'nch':
      if (!isSub) return nowhere();
      return { ...base, kind: 'new', name: '', channel: prefix === 'nch' };
  }
  return nowhere();
}
