import { ACT_CREATE, ACT_UPDATE } from '../plugins/config.js';
import { linkUserAvatar } from '../media/attachments.js';
import { AuthLevel, authLevelName, parseAuthLevel } from '../../src/model/auth-level.js';
import { MODE_APPROVE, MODE_CPUBLIC, MODE_NONE, modeToString, parseMode } from '../../src/model/access.js';
import { parseUserId, userId, type Uid } from '../../src/model/uid.js';
import type { AccMsg, DelMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import { StoreError } from '../store/contract/errors.js';
import { ObjState, parseObjState } from '../store/contract/types.js';
import { normalizeTags, NULL_VALUE, restrictedTagsEqual } from '../../src/model/tags.js';
import { addCreds, missingCreds, normalizeCredentials } from '../validate/credentials.js';
import { onLogin } from './login.js';
import { FEATURE_NO_LOGIN, type AuthResult } from '../auth/scheme.js';
import type { SessionRequest as Request } from './session.js';
import { changeUserState, deleteUser } from './user-admin.js';

/**
 * `{acc}`: create an account (optionally logging in), change one's login or password, add
 * credentials, or (root) change another account's state. `{del what="user"}` deletes one.
 */
export async function handleAcc(req: Request<AccMsg>): Promise<void> {
  const { sess } = req;
  const acc = req.msg.body;
  const isNew = (acc.user ?? '').startsWith('new');
  let tmp: AuthResult | null = null;
  if (!isNew && acc.tmpscheme) {
    if (sess.uid !== 0n) {
      throw new ProtocolError('alreadyAuthenticated');
    }
    const scheme = sess.ctx.auth.get(acc.tmpscheme);
    if (!scheme) {
      throw new ProtocolError('authUnknownScheme');
    }
    try {
      tmp = (await scheme.authenticate(acc.tmpsecret ?? Buffer.alloc(0), sess.remoteAddr)).rec;
    } catch (err) {
      throw withParams(err, { what: 'auth' });
    }
  }
  await (isNew ? createUser(req, tmp) : updateUser(req, tmp));
}

/** Re-throws an error so that its reply carries `params`. */
function withParams(err: unknown, params: Record<string, unknown>): unknown {
  if (err instanceof StoreError) {
    const kind = err.code === 'failed' || err.code === 'expired' ? 'authFailed' : err.code === 'duplicate' ? 'duplicateCredential' : err.code === 'policy' ? 'policy' : err.code === 'malformed' ? 'malformed' : null;
    if (kind) return new ProtocolError(kind, params);
  }
  if (err instanceof ProtocolError) return new ProtocolError(err.kind, params, err.topic);
  return err;
}

function defaultModes(p2pMode: number): { auth: number; anon: number } {
  return { auth: p2pMode | MODE_CPUBLIC, anon: MODE_NONE };
}

async function createUser(req: Request<AccMsg>, tmp: AuthResult | null): Promise<void> {
  const { sess } = req;
  const { ctx } = sess;
  const acc = req.msg.body;
  if (acc.login && (sess.uid !== 0n || tmp)) {
    throw new ProtocolError('alreadyAuthenticated');
  }
  const scheme = ctx.auth.get(acc.scheme ?? '');
  if (!scheme) {
    throw new ProtocolError('malformed');
  }
  const secret = acc.secret ?? Buffer.alloc(0);
  try {
    await scheme.isUnique(secret, sess.remoteAddr);
  } catch (err) {
    throw withParams(err, { what: 'auth' });
  }
  let state: ObjState = ObjState.OK;
  if (acc.status) {
    if (req.authLvl !== AuthLevel.ROOT) {
      throw new ProtocolError('permissionDenied', { what: 'state' });
    }
    const s = parseObjState(acc.status);
    if (s === null || s === ObjState.UNDEFINED || s === ObjState.DELETED) {
      throw new ProtocolError('malformed');
    }
    state = s;
  }
  const tags = normalizeTags(acc.tags, ctx.limits.maxTagCount) ?? [];
  if (!restrictedTagsEqual(tags, [], ctx.tags.immutable)) {
    throw new ProtocolError('permissionDenied', { what: 'tags' });
  }
  const creds = normalizeCredentials(ctx, acc.cred, true);
  for (const c of creds) {
    try {
      ctx.validators.get(c.meth!)!.validator.preCheck(c.val!, c.params);
    } catch (err) {
      throw withParams(err, { what: c.meth });
    }
  }
  const access = defaultModes(ctx.p2pMode);
  const defacs = acc.desc?.defacs;
  if (defacs?.auth) {
    access.auth = (parseMode(defacs.auth) ?? MODE_NONE) & ctx.p2pMode;
    if (access.auth !== MODE_NONE) access.auth |= MODE_APPROVE;
  }
  if (defacs?.anon) {
    access.anon = (parseMode(defacs.anon) ?? MODE_NONE) & ctx.p2pMode;
    if (access.anon !== MODE_NONE) access.anon |= MODE_APPROVE;
  }
  const pub = acc.desc?.public !== undefined && acc.desc.public !== NULL_VALUE ? acc.desc.public : null;
  const priv = acc.desc?.private !== undefined && acc.desc.private !== NULL_VALUE ? acc.desc.private : null;
  const user = await ctx.store.users.create({ state, stateAt: null, access, lastSeen: null, userAgent: '', public: pub, trusted: null, tags }, priv);
  let rec: AuthResult;
  try {
    rec = await scheme.addRecord({ uid: user.id, authLevel: AuthLevel.NONE, lifetimeMs: 0, features: 0, tags }, secret, sess.remoteAddr);
    const missing = missingCreds(ctx, rec.authLevel, creds.map((c) => c.meth!));
    if (missing.length > 0) {
      throw new ProtocolError('policy', { creds: missing });
    }
  } catch (err) {
    await ctx.store.users.delete(user.id, true).catch(() => undefined);
    throw err;
  }
  let validated: string[];
  try {
    const token = ctx.auth.get('token');
    const tmpToken = token ? (await token.genSecret({ uid: user.id, authLevel: AuthLevel.AUTH, lifetimeMs: 24 * 3600_000, features: 0, tags: [] })).secret : Buffer.alloc(0);
    validated = (await addCreds(ctx, user.id, creds, rec.tags, sess.lang, tmpToken)).validated;
  } catch (err) {
    await ctx.store.users.delete(user.id, true).catch(() => undefined);
    throw err;
  }
  await linkUserAvatar(ctx, user.id, req.msg.extra?.attachments);
  ctx.plugins.account({ ...user, tags: rec.tags.length > 0 ? rec.tags : user.tags }, ACT_CREATE);
  const out = acc.login
    ? await onLogin(sess, req.msg.id, req.ts, rec, missingCreds(ctx, rec.authLevel, validated))
    : reply('created', req.msg.id, '', req.ts, { user: userId(user.id), authlvl: authLevelName(rec.authLevel) });
  if ('ctrl' in out) {
    out.ctrl.params = {
      ...(out.ctrl.params ?? {}),
      desc: {
        created: user.createdAt.toISOString(),
        updated: user.updatedAt.toISOString(),
        defacs: { auth: modeToString(user.access.auth), anon: modeToString(user.access.anon) },
        ...(pub !== null ? { public: pub } : {}),
        ...(priv !== null ? { private: priv } : {}),
      },
    };
  }
  sess.send(out);
}

async function updateUser(req: Request<AccMsg>, tmp: AuthResult | null): Promise<void> {
  const { sess } = req;
  const { ctx } = sess;
  const acc = req.msg.body;
  if (sess.uid === 0n && !tmp) {
    throw new ProtocolError('permissionDenied');
  }
  if (req.asUser !== 0n && tmp) {
    throw new ProtocolError('malformed');
  }
  let target: Uid = tmp ? tmp.uid : req.asUser;
  let level = tmp ? tmp.authLevel : req.authLvl;
  if (acc.user && acc.user !== userId(target)) {
    if (sess.authLvl !== AuthLevel.ROOT) {
      throw new ProtocolError('permissionDenied');
    }
    target = parseUserId(acc.user);
    level = parseAuthLevel(acc.authlevel ?? '');
  }
  if (target === 0n) {
    throw new ProtocolError('malformed');
  }
  if (acc.status && sess.authLvl !== AuthLevel.ROOT) {
    throw new ProtocolError('permissionDenied');
  }
  const user = await ctx.store.users.get(target);
  if (!user) {
    throw new StoreError('not-found');
  }
  let params: Record<string, unknown> | undefined;
  if (acc.scheme) {
    const scheme = ctx.auth.get(acc.scheme);
    if (!scheme) {
      throw new ProtocolError('malformed');
    }
    const rec = await scheme.updateRecord({ uid: target, authLevel: level, lifetimeMs: 0, features: 0, tags: user.tags }, acc.secret ?? Buffer.alloc(0), sess.remoteAddr);
    await ctx.store.users.updateTags(target, [], [], rec.tags).catch((err: unknown) => ctx.log.warn(`account tags: ${String(err)}`));
  } else if (acc.cred && acc.cred.length > 0) {
    if (level === AuthLevel.NONE) {
      throw new ProtocolError('malformed');
    }
    const token = ctx.auth.get('token');
    const tmpToken = token ? (await token.genSecret({ uid: target, authLevel: AuthLevel.NONE, lifetimeMs: 24 * 3600_000, features: FEATURE_NO_LOGIN, tags: [] })).secret : Buffer.alloc(0);
    await addCreds(ctx, target, normalizeCredentials(ctx, acc.cred, true), [], sess.lang, tmpToken);
    const have = (await ctx.store.creds.getAll(target, '', true)).map((c) => c.method);
    const missing = missingCreds(ctx, level, have);
    if (missing.length > 0) {
      params = { cred: missing };
    }
  } else if (acc.status) {
    const changed = await changeUserState(ctx, sess, target, user.state, acc.status);
    if (!changed) {
      sess.send(reply('notModified', req.msg.id, '', req.ts));
      return;
    }
  } else {
    throw new ProtocolError('malformed');
  }
  const updated = await ctx.store.users.get(target);
  if (updated) ctx.plugins.account(updated, ACT_UPDATE);
  sess.send(reply('ok', req.msg.id, '', req.ts, params));
}

/** `{del what="user"}`: the user deletes their account, or root deletes anyone's. */
export async function handleDelUser(req: Request<DelMsg>): Promise<void> {
  const { sess } = req;
  const { ctx } = sess;
  const who = req.msg.body.user;
  let uid: Uid;
  if (!who || who === userId(sess.uid)) {
    if (ctx.limits.permanentAccounts && sess.authLvl !== AuthLevel.ROOT) {
      throw new ProtocolError('policy');
    }
    uid = sess.uid;
  } else if (sess.authLvl === AuthLevel.ROOT) {
    uid = parseUserId(who);
    if (uid === 0n) {
      throw new ProtocolError('malformed');
    }
  } else {
    throw new ProtocolError('permissionDenied');
  }
  await deleteUser(ctx, sess, uid, req.msg.body.hard === true);
  sess.send(reply('ok', req.msg.id, '', req.ts));
  if (sess.uid === uid) {
    sess.stop(reply('evicted', '', '', new Date()));
  }
}
