import { chnToGrp, fndName, p2pName, parseUserId, slfName, userId, type Uid } from '../../src/model/uid.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';

/**
 * The routable name of a topic as a client names it: `me` → `usr<self>`, `fnd` → `fnd<self>`,
 * `slf` → `slf<self>`, `usr<peer>` → the p2p topic, `chn…` → `grp…`, anything else unchanged.
 * Throws the reference's replies for an empty name, a bad peer id, or a p2p topic with oneself.
 */
export function expandTopicName(original: string, asUser: Uid): string {
  if (original === '') {
    throw new ProtocolError('malformed', undefined, '');
  }
  switch (original) {
    case 'me':
      return userId(asUser);
    case 'fnd':
      return fndName(asUser);
    case 'slf':
      return slfName(asUser);
  }
  if (original.startsWith('usr')) {
    const peer = parseUserId(original);
    if (peer === 0n) {
      throw new ProtocolError('malformed');
    }
    if (peer === asUser) {
      throw new ProtocolError('permissionDenied');
    }
    return p2pName(asUser, peer);
  }
  return chnToGrp(original) || original;
}
