import { AuthLevel, parseAuthLevel } from '../../src/model/auth-level.js';
import { parseUserId } from '../../src/model/uid.js';
import type { ClientMessage } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import { handleAcc } from './acc.js';
import { errorReply } from '../request/error-reply.js';
import { handleHi } from './hello.js';
import { handleLogin } from './login.js';
import type { SessionRequest as Request } from './session.js';
import type { Session } from './session.js';
import { handleDel, handleGet, handleLeave, handleNote, handlePub, handleSet, handleSub } from './topic-requests.js';

/**
 * Routes one client message to its handler behind the reference's guards: `{hi}` first,
 * authentication for everything but hi, login and acc, root only for acting on behalf of
 * another user. Whatever a handler throws becomes the request's one reply.
 */
export async function dispatch(sess: Session, original: ClientMessage): Promise<void> {
  let msg = original;
  if (sess.ctx.plugins.active) {
    // Plugins see the packet first: it may pass, be dropped, be answered or be replaced.
    const outcome = await sess.ctx.plugins.fireHose(
      { sid: sess.sid, uid: sess.uid, authLvl: sess.authLvl, remoteAddr: sess.remoteAddr, userAgent: sess.userAgent, deviceId: sess.deviceId, lang: sess.lang },
      msg,
    );
    if (outcome.kind === 'drop') return;
    if (outcome.kind === 'respond') {
      sess.send(outcome.reply);
      return;
    }
    msg = outcome.msg;
  }
  const ts = new Date();
  let asUser = sess.uid;
  let authLvl = sess.authLvl;
  const extra = msg.extra;
  const oboLevel = extra?.authlevel ? parseAuthLevel(extra.authlevel) : AuthLevel.NONE;
  if (extra && (extra.obo || oboLevel !== AuthLevel.NONE)) {
    if (sess.authLvl !== AuthLevel.ROOT) {
      // What the client wrote is quoted, so that it cannot forge lines of the log.
      sess.ctx.log.warn(`session ${sess.sid}: non-root tried to act on behalf of ${JSON.stringify((extra.obo ?? '').slice(0, 64))}`);
      sess.send(reply('permissionDenied', '', '', ts));
      return;
    }
    const obo = extra.obo ? parseUserId(extra.obo) : sess.uid;
    if (obo === 0n) {
      sess.send(reply('malformed', '', '', ts));
      return;
    }
    asUser = obo;
    authLvl = oboLevel === AuthLevel.NONE ? AuthLevel.AUTH : oboLevel;
  }

  const req: Request = { msg, sess, asUser, authLvl, ts, original: msg.topic, rcptTo: '' };
  const needsHi = msg.type !== 'hi' && msg.type !== 'note';
  const needsUser = !['hi', 'login', 'acc', 'note'].includes(msg.type);
  if (needsHi && sess.ver === 0) {
    sess.send(reply('commandOutOfSequence', msg.id, '', ts));
    return;
  }
  if (needsUser && asUser === 0n) {
    sess.send(reply('authRequired', msg.id, msg.topic, ts));
    return;
  }
  if (msg.type === 'pub' && !sess.publishRate.take()) {
    sess.send(reply('tooManyRequests', msg.id, msg.topic, ts));
    return;
  }
  if (msg.type === 'note' && !sess.noteRate.take()) {
    // Notes are never answered: over the rate they are dropped.
    return;
  }
  try {
    switch (req.msg.type) {
      case 'hi':
        await handleHi(req as Request<typeof req.msg>);
        break;
      case 'login':
        await handleLogin(req as Request<typeof req.msg>);
        break;
      case 'acc':
        await handleAcc(req as Request<typeof req.msg>);
        break;
      case 'sub':
        await handleSub(req as Request<typeof req.msg>);
        break;
      case 'leave':
        await handleLeave(req as Request<typeof req.msg>);
        break;
      case 'pub':
        await handlePub(req as Request<typeof req.msg>);
        break;
      case 'get':
        await handleGet(req as Request<typeof req.msg>);
        break;
      case 'set':
        await handleSet(req as Request<typeof req.msg>);
        break;
      case 'del':
        await handleDel(req as Request<typeof req.msg>);
        break;
      case 'note':
        await handleNote(req as Request<typeof req.msg>);
        break;
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) {
      sess.ctx.log.warn(`session ${sess.sid}: ${msg.type} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    if (msg.type !== 'note') {
      sess.send(errorReply(err, msg.id, msg.topic, ts));
    }
  }
  if (asUser !== 0n && sess.userAgent && ['pub', 'sub', 'get', 'set', 'note'].includes(msg.type)) {
    sess.ctx.hub.userAgentSeen(sess, asUser);
  }
}
