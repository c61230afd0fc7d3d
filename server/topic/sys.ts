import { MODE_CSYS, MODE_WRITE } from '../../src/model/access.js';
import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { Request } from '../request/request.js';
import { ConvTopic } from './conversation.js';
import type { TopicCat } from './topic.js';

/**
 * The system topic: anyone may publish to it without subscribing (reports, complaints); only
 * root users subscribe and read. It stays loaded while the server runs.
 */
export class SysTopic extends ConvTopic {
  readonly cat: TopicCat = 'sys';

  protected override rootAccess(): number {
    return MODE_CSYS;
  }

  async init(_req: Request<SubMsg> | null): Promise<void> {
    const stopic = await this.env.store.topics.get('sys');
    if (!stopic) {
      throw new ProtocolError('topicNotFound');
    }
    await this.loadSubscribers();
    this.loadState(stopic);
    // Nobody owns sys; anyone writes to it.
    this.owner = 0n;
    this.access = { auth: MODE_WRITE, anon: MODE_WRITE };
    this.public = stopic.public;
    this.trusted = stopic.trusted;
  }
}
