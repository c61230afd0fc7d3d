import { AuthLevel } from '../../src/model/auth-level.js';
import { MODE_CCHN_READER, MODE_CME_FND, MODE_NONE, MODE_UNSET, modeToString } from '../../src/model/access.js';
import { isChannel, parseUserId, userId, type Uid } from '../../src/model/uid.js';
import type { DelMsg, GetMsg, GetQuery, LeaveMsg, SetMsg, SubMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { TopicSubMsg } from '../../src/wire/server-messages.js';
import type { Request } from '../request/request.js';
import type { Client } from '../request/client.js';
import { privateUpdate, replyGetDesc } from './meta-desc.js';
import { answerParts, denied, noDeletions, setWhat } from './meta-parts.js';
import { META_DATA, META_DEL, META_DESC, META_SUB, META_TAGS, metaWhat } from '../../src/wire/meta-what.js';
import { mergeValue } from '../../src/model/merge.js';
import type { Routed } from './routed.js';
import { parseSearchQuery } from './search-query.js';
import { attachAndReply, replySetOwnSub, subRequest, updateOwnSubscription } from './subscribe.js';
import { filterTags, isPrefixed, validateTag } from '../../src/model/tags.js';
import { Topic, type TopicCat } from './topic.js';

/**
 * A user's `fnd` topic: search for users and topics by tags. Each session sets its query as the
 * topic's `public` (kept per session, never stored) and reads the results as `{get sub}`; the
 * user's `private` value (the address book, stored) is the query when the session set none.
 */
export class FndTopic extends Topic {
  readonly cat: TopicCat = 'fnd';
  private readonly queries = new Map<Client, string>();

  get uid(): Uid {
    return parseUserId('usr' + this.name.slice(3));
  }

  override reachableBy(uid: Uid): boolean {
    return uid === this.uid;
  }

  protected rootAccess(): number {
    return MODE_NONE;
  }

  async init(req: Request<SubMsg>): Promise<void> {
    if (req.asUser === 0n) {
      throw new ProtocolError('notFound');
    }
    const user = await this.env.store.users.get(req.asUser);
    if (!user) {
      throw new ProtocolError('notFound');
    }
    this.created = user.createdAt;
    this.updated = user.updatedAt;
    this.tags = user.tags;
    for (const s of await this.env.store.subs.forTopic(this.name, false)) {
      this.perUser.set(s.user, { online: 0, recvId: 0, readId: 0, delId: 0, private: s.private, modeWant: s.modeWant, modeGiven: s.modeGiven, deleted: false, isChan: false });
    }
  }

  protected async handleSubscribe(req: Request<SubMsg>): Promise<void> {
    if (!this.perUser.has(req.asUser)) {
      await this.env.store.subs.create(this.env.store.subscription(req.asUser, this.name, MODE_CME_FND, MODE_CME_FND, null));
      this.perUser.set(req.asUser, { online: 0, recvId: 0, readId: 0, delId: 0, private: null, modeWant: MODE_CME_FND, modeGiven: MODE_CME_FND, deleted: false, isChan: false });
    }
    const { want, priv } = subRequest(req);
    const { acs } = await updateOwnSubscription(this, req, want, priv);
    attachAndReply(this, req, acs);
    const get = req.msg.body.get;
    if (get) {
      await this.replyGets(req, get);
    }
  }

  /** The parts of a `{get}`: results, alias check; no messages (R is never given), no credentials or aux (405). */
  private async replyGets(req: Request<GetMsg | SubMsg>, get: GetQuery): Promise<void> {
    await answerParts(this, req, metaWhat(get.what), {
      [META_DESC]: () => replyGetDesc(this, req, get.desc),
      [META_SUB]: () => this.replyFind(req),
      [META_DATA]: denied,
      [META_DEL]: () => noDeletions(req, get.del),
      [META_TAGS]: () => this.replyAlias(req),
    });
  }

  protected async handleMeta(req: Request<GetMsg | SetMsg | DelMsg>): Promise<void> {
    const msg = req.msg;
    if (msg.type === 'get') {
      await this.replyGets(req as Request<GetMsg>, msg.body);
      return;
    }
    if (msg.type === 'set') {
      const r = req as Request<SetMsg>;
      // Tags, credentials and aux are not fnd's (405).
      await answerParts(this, r, setWhat(msg.body), {
        [META_DESC]: () => this.setQuery(r),
        [META_SUB]: () => replySetOwnSub(this, r),
      });
      return;
    }
    throw new ProtocolError('permissionDenied');
  }

  /** `{set desc}`: the session's query (public) and the stored address book (private). */
  private async setQuery(req: Request<SetMsg>): Promise<void> {
    const now = new Date();
    const desc = req.msg.body.desc!;
    // fnd has no trusted value (403); default access is ignored, as the reference does.
    if (desc.trusted !== undefined) {
      throw new ProtocolError('permissionDenied');
    }
    const current = this.queries.get(req.sess) ?? null;
    const pub = mergeValue(current, desc.public);
    const priv = privateUpdate(this, req, desc.private);
    if (!pub.changed && !priv.changed) {
      req.sess.send(reply('notModified', req.msg.id, req.original, now));
      return;
    }
    if (priv.changed) {
      await this.env.store.subs.update(this.name, req.asUser, { private: priv.value, updatedAt: now });
      const pud = this.perUser.get(req.asUser);
      if (pud) pud.private = priv.value;
    }
    if (pub.changed) {
      if (typeof pub.value === 'string' && pub.value !== '') {
        this.queries.set(req.sess, pub.value);
      } else {
        this.queries.delete(req.sess);
      }
    }
    req.sess.send(reply('ok', req.msg.id, req.original, now));
  }

  /** A search term as tags: itself, and what validators and login schemes make of it. */
  private rewrite(term: string, country: string, isPublic: boolean): string[] {
    if (isPrefixed(term)) {
      return [term];
    }
    for (const [, v] of this.env.validators) {
      if (!v.addToTags) continue;
      try {
        const tag = v.validator.preCheck(term, { countryCode: country });
        if (tag) {
          return [term, tag];
        }
      } catch {
        // Not that kind of value.
      }
    }
    if (validateTag(term)[1] === '') {
      return [];
    }
    const login = isPublic ? this.env.auth.get('basic')?.asTag(term) : '';
    return login ? [term, login] : [term];
  }

  /** `{get what="sub"}`: the results of the session's query (or the address book). */
  private async replyFind(req: Request<GetMsg | SubMsg>): Promise<void> {
    const now = new Date();
    const ownQuery = this.queries.get(req.sess) ?? '';
    const stored = this.perUser.get(req.asUser)?.private;
    let query = ownQuery || (typeof stored === 'string' ? stored : '');
    const country = req.sess.countryCode || this.env.limits.defaultCountryCode;
    let results: TopicSubMsg[] = [];
    if (query && this.env.plugins.active) {
      // A plugin may answer the search itself, rewrite the query or drop it.
      const byPlugin = await this.env.plugins.find(req.asUser, query);
      if (byPlugin.results) {
        results = byPlugin.results;
        query = '';
      } else {
        query = byPlugin.query;
      }
    }
    if (query) {
      const parsed = parseSearchQuery(query);
      if ('error' in parsed) {
        throw new ProtocolError('malformed');
      }
      const isPublic = ownQuery !== '';
      const required = parsed.and.map((t) => this.rewrite(t, country, isPublic)).filter((set) => set.length > 0);
      const optional = parsed.or.flatMap((t) => this.rewrite(t, country, isPublic));
      const masked = filterTags([...required.flat(), ...optional], this.env.tags.masked).filter((t) => !this.tags.includes(t));
      if (masked.length > 0) {
        throw new ProtocolError('permissionDenied');
      }
      if (required.length > 0 || optional.length > 0) {
        const found = await this.env.store.search.find(userId(req.asUser), this.env.tags.alias, required, optional, req.sess.authLvl !== AuthLevel.ROOT);
        results = found.map((s) => {
          const mts: TopicSubMsg = { acs: {}, topic: s.topic };
          if (s.updatedAt.getTime() > 0) mts.updated = s.updatedAt;
          if (s.modeGiven !== MODE_UNSET && s.modeWant !== MODE_UNSET) {
            mts.acs = { mode: modeToString(s.modeGiven & s.modeWant), want: modeToString(s.modeWant), given: modeToString(s.modeGiven) };
          } else if (isChannel(s.topic)) {
            mts.acs = { mode: modeToString(MODE_CCHN_READER) };
          } else if (s.extra?.defaultAccess) {
            const d = s.extra.defaultAccess;
            if (req.sess.authLvl === AuthLevel.ANON) mts.acs = { mode: modeToString(d.anon) };
            else if (req.sess.authLvl === AuthLevel.AUTH || req.sess.authLvl === AuthLevel.ROOT) mts.acs = { mode: modeToString(d.auth) };
          }
          mts.subcnt = s.extra?.subCnt;
          mts.public = s.extra?.public ?? undefined;
          mts.trusted = s.extra?.trusted ?? undefined;
          mts.private = s.extra?.matchedTags && s.extra.matchedTags.length > 0 ? s.extra.matchedTags : undefined;
          return mts;
        });
      }
    }
    if (results.length === 0) {
      req.sess.send(reply('noContent', req.msg.id, req.original, now, { what: 'sub' }));
      return;
    }
    req.sess.send({ meta: { id: req.msg.id || undefined, topic: req.original, ts: now, sub: results } });
  }

  /** `{get what="tags"}`: who holds the prefixed tag set as the query (an alias check). */
  private async replyAlias(req: Request<GetMsg | SubMsg>): Promise<void> {
    const now = new Date();
    const tag = this.queries.get(req.sess) ?? '';
    if (tag && validateTag(tag)[0] !== '') {
      const found = await this.env.store.search.findOne(tag);
      if (found) {
        req.sess.send({ meta: { id: req.msg.id || undefined, topic: req.original, ts: now, tags: [found] } });
        return;
      }
    }
    req.sess.send(reply('noContent', req.msg.id, req.original, now, { what: 'tags' }));
  }

  protected async handleLeave(req: Request<LeaveMsg>): Promise<void> {
    await this.detach(req.sess, true);
    req.sess.send(reply('ok', req.msg.id, req.original, new Date()));
  }

  protected async detach(sess: Client, _byRequest?: boolean): Promise<void> {
    this.queries.delete(sess);
    this.removeSession(sess);
  }

  protected async handleServerMessage(_msg: Routed): Promise<void> {}

  protected async onUnload(): Promise<void> {
    this.queries.clear();
  }
}
