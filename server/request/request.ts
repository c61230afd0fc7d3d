import type { AuthLevel } from '../../src/model/auth-level.js';
import type { Uid } from '../../src/model/uid.js';
import type { ClientMessage } from '../../src/wire/client-messages.js';
import type { Client } from './client.js';
import type { ResolvedTopic } from './topic-name.js';

/**
 * A client message on its way through the server, with what the session knows about it (`C`,
 * the client it came from, is the session itself on the session's side, a {@link Client} below):
 * who sends it (after root's on-behalf-of), at which auth level, when it arrived, and the
 * topic's routable name (`rcptTo`: `usr…` for me, `fnd…`, `p2p…`, `grp…` for channels too).
 */
export interface Request<M extends ClientMessage = ClientMessage, C extends Client = Client> {
  readonly msg: M;
  /** Where the request came from, and where its replies go. */
  readonly sess: C;
  /** The acting user; zero when not logged in. */
  readonly asUser: Uid;
  readonly authLvl: AuthLevel;
  /** Arrival time: the `ts` of the replies. */
  readonly ts: Date;
  /** The topic name as the client wrote it. */
  readonly original: string;
  /** The routable topic name. */
  readonly rcptTo: string;
  /** The topic the name resolved to for `asUser` (set for topic requests by `resolveTopic`). */
  readonly target?: ResolvedTopic;
}
