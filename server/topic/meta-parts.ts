import type { GetOpts, SetQuery } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import { errorReply } from '../request/error-reply.js';
import type { Request } from '../request/request.js';
import { META_AUX, META_CRED, META_DATA, META_DEL, META_DESC, META_SUB, META_TAGS } from '../../src/wire/meta-what.js';
import type { Topic } from './topic.js';

/**
 * The parts of a `{get}`, of the `get` inside a `{sub}`, and of a `{set}`: each answered on its
 * own (a refused part is that part's reply; the others still come), in the reference's order
 * (topic.go `handleMetaGet`, `handleSubscription`, `handleMetaSet`), whatever the topic kind.
 */

const GET_ORDER = [META_DESC, META_SUB, META_DATA, META_DEL, META_TAGS, META_CRED, META_AUX];
/** After a `{sub}`, messages and deletions come last. */
const SUB_GET_ORDER = [META_DESC, META_SUB, META_TAGS, META_CRED, META_AUX, META_DATA, META_DEL];
const SET_ORDER = [META_DESC, META_SUB, META_TAGS, META_CRED, META_AUX];

/** What answers one part; it sends its reply, or throws the refusal. */
export type PartHandler = () => unknown;

/** The parts a kind answers, by `META_*` bit; a part without a handler is refused with 405. */
export type PartHandlers = Partial<Record<number, PartHandler>>;

/** Runs one part; its failure becomes that part's reply only. */
export async function part(t: Topic, req: Request, fn: PartHandler): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ProtocolError)) {
      t.env.log.warn(`topic ${t.name}: ${req.msg.type} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    req.sess.send(errorReply(err, req.msg.id, req.original, new Date()));
  }
}

/** Answers each part `what` names (`META_*` bits), in the reference's order for the request. */
export async function answerParts(t: Topic, req: Request, what: number, handlers: PartHandlers): Promise<void> {
  const order = req.msg.type === 'set' ? SET_ORDER : req.msg.type === 'sub' ? SUB_GET_ORDER : GET_ORDER;
  for (const bit of order) {
    if (what & bit) {
      await part(t, req, handlers[bit] ?? notAllowed);
    }
  }
}

/** The parts a `{set}` carries. */
export function setWhat(set: SetQuery): number {
  return (
    (set.desc ? META_DESC : 0) | (set.sub ? META_SUB : 0) | (set.tags ? META_TAGS : 0) | (set.cred ? META_CRED : 0) | (set.aux ? META_AUX : 0)
  );
}

/** A part the topic kind does not have: 405, as the reference's category checks answer. */
export function notAllowed(): never {
  throw new ProtocolError('operationNotAllowed');
}

/** A part the user may not have: 403. */
export function denied(): never {
  throw new ProtocolError('permissionDenied');
}

/** `{get what="del"}` from a user without R: no deletions to tell, ctrl 204 (the reference's `replyGetDel`). */
export function noDeletions(req: Request, opts: GetOpts | undefined): void {
  if (opts && (opts.ims || opts.user || opts.topic)) {
    throw new ProtocolError('malformed');
  }
  req.sess.send(reply('noContent', req.msg.id, req.original, new Date(), { what: 'del' }));
}
