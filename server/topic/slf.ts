import { MODE_CSELF, MODE_NONE } from '../../src/model/access.js';
import { slfName, type Uid } from '../../src/model/uid.js';
import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import type { Request } from '../request/request.js';
import { ObjState } from '../store/contract/types.js';
import { ConvTopic } from './conversation.js';
import { NULL_VALUE, normalizeTags, restrictedTagsEqual } from '../../src/model/tags.js';
import type { TopicCat } from './topic.js';

/** A user's saved messages (`slf`): a topic with one subscriber, created on first use. */
export class SlfTopic extends ConvTopic {
  readonly cat: TopicCat = 'slf';

  override original(): string {
    return 'slf';
  }

  override reachableBy(uid: Uid): boolean {
    return this.name === slfName(uid);
  }

  protected override rootAccess(): number {
    return MODE_CSELF;
  }

  async init(req: Request<SubMsg>): Promise<void> {
    const { store } = this.env;
    const stopic = await store.topics.get(this.name);
    if (stopic) {
      await this.loadSubscribers();
      if (this.perUser.size > 0 && stopic.state !== ObjState.DELETED) {
        this.loadState(stopic);
        this.access = stopic.access;
        this.tags = stopic.tags;
        return;
      }
      // The user deleted it (softly, which keeps the row): what is left goes, and it starts anew.
      this.perUser.clear();
      await store.topics.delete(this.name, false, true);
    }
    const user = await store.users.get(req.asUser);
    if (!user) {
      throw new ProtocolError('userNotFound');
    }
    this.owner = req.asUser;
    this.access = { auth: MODE_CSELF, anon: MODE_NONE };
    const set = req.msg.body.set;
    const priv = set?.desc?.private !== undefined && set.desc.private !== NULL_VALUE ? set.desc.private : null;
    const tags = normalizeTags(set?.tags, this.env.limits.maxTagCount);
    if (tags && tags.length > 0) {
      if (!restrictedTagsEqual(tags, [], this.env.tags.immutable)) {
        throw new ProtocolError('permissionDenied');
      }
      this.tags = tags;
    }
    const now = new Date();
    this.created = now;
    this.updated = now;
    this.touched = now;
    await store.topics.create(
      { name: this.name, createdAt: now, state: ObjState.OK, stateAt: null, useBt: false, owner: this.owner, access: this.access, seqId: 0, delId: 0, public: null, trusted: null, tags: this.tags, aux: null },
      MODE_CSELF,
      priv,
      MODE_CSELF,
    );
    this.perUser.set(this.owner, ConvTopic.perUser(MODE_CSELF, MODE_CSELF, priv));
    this.setSubFlags(req, { created: true, newsub: true });
  }
}
