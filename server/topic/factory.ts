import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { ServerContext } from '../context.js';
import type { Request } from '../session/request.js';
import { FndTopic } from './fnd.js';
import { GroupTopic } from './group.js';
import { MeTopic } from './me.js';
import { P2PTopic } from './p2p.js';
import { SlfTopic } from './slf.js';
import { SysTopic } from './sys.js';
import type { Topic } from './topic.js';

/** Makes the topic object for a routable name, by kind. */
export function createTopic(ctx: ServerContext, name: string, req: Request<SubMsg>): Topic {
  if (req.original === 'me') {
    return new MeTopic(ctx, name, 'me');
  }
  if (req.original === 'fnd') {
    return new FndTopic(ctx, name, 'fnd');
  }
  if (name.startsWith('p2p')) {
    return new P2PTopic(ctx, name, '');
  }
  if (name.startsWith('grp')) {
    return new GroupTopic(ctx, name, name);
  }
  if (name === 'sys') {
    return new SysTopic(ctx, name, 'sys');
  }
  if (name.startsWith('slf')) {
    return new SlfTopic(ctx, name, 'slf');
  }
  throw new ProtocolError('topicNotFound');
}
