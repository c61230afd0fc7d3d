import { MODE_CCHN_WRITER, MODE_CFULL, MODE_CPUBLIC, MODE_JOIN, MODE_NONE, MODE_OWNER, parseMode } from '../../src/model/access.js';
import { AuthLevel } from '../../src/model/auth-level.js';
import type { SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { linkNewTopicAvatar } from '../media/attachments.js';
import type { Request } from '../request/request.js';
import { ObjState } from '../store/contract/types.js';
import { ConvTopic } from './conversation.js';
import { NULL_VALUE, normalizeTags, restrictedTagsEqual } from '../../src/model/tags.js';
import type { TopicCat } from './topic.js';

/** Default access of a new group (JRWPS) or channel (RWPS: readers join as `chn…`). */
export function groupDefaultAccess(isChan: boolean): { auth: number; anon: number } {
  return { auth: isChan ? MODE_CCHN_WRITER : MODE_CPUBLIC, anon: MODE_NONE };
}

/**
 * A group topic, optionally also a channel. `{sub topic="new…"}` (or `nch…` for a channel)
 * creates it with the requester as owner; later subscriptions load it by `grp…` (or by `chn…`
 * for channel readers, who read without `from` and make no presence).
 */
export class GroupTopic extends ConvTopic {
  readonly cat: TopicCat = 'grp';
  private chan = false;

  override isChannel(): boolean {
    return this.chan;
  }

  /** Channel readers know the topic as `chn…`. */
  override original(uid: bigint): string {
    return this.chan && this.perUser.get(uid)?.isChan ? 'chn' + this.name.slice(3) : this.xoriginal;
  }

  protected override rootAccess(): number {
    return groupDefaultAccess(this.chan).auth;
  }

  async init(req: Request<SubMsg>): Promise<void> {
    if (req.target?.kind === 'new') {
      await this.create(req, req.target.channel);
      return;
    }
    const stopic = await this.env.store.topics.get(this.name);
    if (!stopic || stopic.state === ObjState.DELETED) {
      throw new ProtocolError('topicNotFound');
    }
    await this.loadSubscribers();
    this.loadState(stopic);
    this.chan = stopic.useBt;
    this.access = stopic.access;
    this.tags = stopic.tags;
    this.public = stopic.public;
    this.trusted = stopic.trusted;
    this.subCnt = stopic.subCnt;
  }

  private async create(req: Request<SubMsg>, isChan: boolean): Promise<void> {
    const now = new Date();
    this.chan = isChan;
    this.owner = req.asUser;
    this.access = groupDefaultAccess(isChan);
    let want = MODE_CFULL;
    let priv: unknown = null;
    const set = req.msg.body.set;
    const desc = set?.desc;
    if (desc) {
      if (desc.trusted !== undefined && desc.trusted !== null && req.authLvl !== AuthLevel.ROOT) {
        throw new ProtocolError('permissionDenied');
      }
      if (desc.public !== undefined && desc.public !== NULL_VALUE) this.public = desc.public;
      if (desc.trusted !== undefined && desc.trusted !== NULL_VALUE) this.trusted = desc.trusted;
      if (desc.private !== undefined && desc.private !== NULL_VALUE) priv = desc.private;
      if (desc.defacs) {
        // Invalid modes become N; O is never a default.
        const parse = (text: string | undefined, dflt: number) => {
          if (!text) return dflt;
          const m = parseMode(text);
          return m === null ? MODE_NONE : m & ~MODE_OWNER & 0xff;
        };
        this.access = { auth: parse(desc.defacs.auth, this.access.auth), anon: parse(desc.defacs.anon, this.access.anon) };
      }
    }
    if (set?.sub?.mode) {
      const m = parseMode(set.sub.mode);
      want = (m === null ? MODE_CFULL : m & 0xff) | MODE_JOIN | MODE_OWNER;
    }
    const tags = normalizeTags(set?.tags, this.env.limits.maxTagCount);
    if (tags && tags.length > 0) {
      if (!restrictedTagsEqual(tags, [], this.env.tags.immutable)) {
        throw new ProtocolError('permissionDenied');
      }
      this.tags = tags;
    }
    this.created = now;
    this.updated = now;
    this.touched = now;
    await this.env.store.topics.create(
      {
        name: this.name,
        createdAt: now,
        state: ObjState.OK,
        stateAt: null,
        useBt: isChan,
        owner: this.owner,
        access: this.access,
        seqId: 0,
        delId: 0,
        public: this.public,
        trusted: this.trusted,
        tags: this.tags,
        aux: null,
      },
      want,
      priv,
    );
    // The avatar uploaded for the new group is kept (and public) while public.photo.ref names it.
    await linkNewTopicAvatar(this.env, this.name, this.owner, this.public, req.msg.extra?.attachments);
    const pud = ConvTopic.perUser(want, MODE_CFULL, priv);
    this.perUser.set(this.owner, pud);
    // The owner, the one member so far.
    this.subCnt = 1;
    this.setSubFlags(req, { created: true, newsub: true });
  }
}
