import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { TopicEnv } from './env.js';
import type { Request } from '../request/request.js';
import { FndTopic } from './fnd.js';
import { GroupTopic } from './group.js';
import { MeTopic } from './me.js';
import { P2PTopic } from './p2p.js';
import { SlfTopic } from './slf.js';
import { SysTopic } from './sys.js';
import type { Topic } from './topic.js';

/**
 * Makes the topic object for a request's resolved target, by kind. The name was resolved for the
 * requesting user by `resolveTopic`; a request that reached here without a target is refused.
 */
export function createTopic(env: TopicEnv, name: string, req: Request<SubMsg>): Topic {
  switch (req.target?.kind) {
    case 'me':
      return new MeTopic(env, name, 'me');
    case 'fnd':
      return new FndTopic(env, name, 'fnd');
    case 'p2p':
      return new P2PTopic(env, name, '');
    case 'grp':
    case 'new':
      return new GroupTopic(env, name, name);
    case 'sys':
      return new SysTopic(env, name, 'sys');
    case 'slf':
      return new SlfTopic(env, name, 'slf');
    default:
      throw new ProtocolError('topicNotFound');
  }
}
