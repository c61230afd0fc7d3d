import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { ServerContext } from '../context.js';
import type { Request } from '../session/request.js';
import { FndTopic } from './fnd.js';
import { MeTopic } from './me.js';
import type { Topic } from './topic.js';

/** Makes the topic object for a routable name, by kind. */
export function createTopic(ctx: ServerContext, name: string, req: Request<SubMsg>): Topic {
  if (req.original === 'me') {
    return new MeTopic(ctx, name, 'me');
  }
  if (req.original === 'fnd') {
    return new FndTopic(ctx, name, 'fnd');
  }
  // p2p, group, channel, sys and slf topics arrive with the conversations work.
  throw new ProtocolError('notImplemented');
}
