import { MODE_CSYS, MODE_WRITE } from '../../src/model/access.js';
import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { Request } from '../session/request.js';
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
    const stopic = await this.ctx.store.adapter.topicGet('sys');
    if (!stopic) {
      throw new ProtocolError('topicNotFound');
    }
    for (const s of await this.ctx.store.adapter.subsForTopic('sys', false)) {
      const pud = ConvTopic.perUser(s.modeWant, s.modeGiven, s.private);
      pud.recvId = s.recvSeqId;
      pud.readId = s.readSeqId;
      pud.delId = s.delId;
      this.perUser.set(s.user, pud);
    }
    this.access = { auth: MODE_WRITE, anon: MODE_WRITE };
    this.public = stopic.public;
    this.trusted = stopic.trusted;
    this.created = stopic.createdAt;
    this.updated = stopic.updatedAt;
    this.touched = stopic.touchedAt;
    this.lastId = stopic.seqId;
    this.delId = stopic.delId;
  }
}
