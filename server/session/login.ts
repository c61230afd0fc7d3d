import { authLevelName } from '../../src/model/auth-level.js';
import { userId } from '../../src/model/uid.js';
import type { LoginMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import type { ServerMessage } from '../../src/wire/server-messages.js';
import { isStoreError, StoreError } from '../store/contract/errors.js';
import { ObjState } from '../store/contract/types.js';
import { missingCreds, validatedCreds } from '../validate/credentials.js';
import { errorKind } from '../request/error-reply.js';
import { FEATURE_NO_LOGIN, FEATURE_VALIDATED, type AuthResult } from '../auth/scheme.js';
import type { SessionRequest as Request } from './session.js';
import type { Session } from './session.js';

/**
 * `{login}`: authenticates the session with a scheme (basic, token, or a logical name), asks for
 * credential validation where the account's level requires it (300), and hands out a token.
 * `scheme: "reset"` instead starts a password reset by a validated credential.
 */
export async function handleLogin(req: Request<LoginMsg>): Promise<void> {
  const { sess } = req;
  const { ctx } = sess;
  const body = req.msg.body;
  const secret = body.secret ?? Buffer.alloc(0);
  const guard = ctx.guards.logins;
  if (body.scheme === 'reset') {
    // Each reset sends a message to someone: counted against the address like a failure.
    throttle(guard.waitMs(sess.remoteAddr, null));
    guard.failed(sess.remoteAddr, null);
    await secretReset(sess, secret);
    sess.send(reply('authReset', req.msg.id, '', req.ts));
    return;
  }
  if (sess.uid !== 0n) {
    throw new ProtocolError('alreadyAuthenticated');
  }
  const scheme = ctx.auth.get(body.scheme ?? '');
  if (!scheme) {
    throw new ProtocolError('authUnknownScheme');
  }
  const login = scheme.realName === 'basic' ? basicLogin(secret) : null;
  throttle(guard.waitMs(sess.remoteAddr, login));
  let auth: Awaited<ReturnType<typeof scheme.authenticate>>;
  try {
    auth = await scheme.authenticate(secret, sess.remoteAddr);
  } catch (err) {
    if (errorKind(err) === 'authFailed') {
      guard.failed(sess.remoteAddr, login);
      ctx.log.info(`session ${sess.sid}: failed login${login === null ? '' : ` as ${JSON.stringify(login.slice(0, 64))}`} from ${sess.remoteAddr}`);
    }
    throw err;
  }
  guard.succeeded(login);
  const { rec, challenge } = auth;
  let state = rec.state;
  if (state === undefined || state === ObjState.UNDEFINED) {
    const user = await ctx.store.users.get(rec.uid);
    if (!user) {
      throw new StoreError('user-not-found');
    }
    state = user.state;
  }
  if (state !== ObjState.OK) {
    throw new StoreError('denied');
  }
  if (challenge) {
    sess.send(reply('challenge', req.msg.id, '', req.ts, { challenge: challenge.toString('base64') }));
    return;
  }
  let missing: string[] = [];
  if ((rec.features & FEATURE_VALIDATED) === 0 && (ctx.requiredCreds.get(rec.authLevel) ?? []).length > 0) {
    const { validated } = await validatedCreds(ctx, rec.uid, rec.authLevel, body.cred, false);
    missing = missingCreds(ctx, rec.authLevel, validated);
  }
  sess.send(await onLogin(sess, req.msg.id, req.ts, rec, missing));
}

/** Refuses an attempt that has to wait (429 with the seconds to wait in `params.wait`). */
function throttle(waitMs: number): void {
  if (waitMs > 0) {
    throw new ProtocolError('tooManyRequests', { wait: Math.ceil(waitMs / 1000) });
  }
}

/** The login name of a basic secret ("login:password"), as the throttle counts it; null if none. */
function basicLogin(secret: Buffer): string | null {
  const text = secret.toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 ? text.slice(0, colon).toLowerCase() : null;
}

/**
 * The reply to a successful authentication: 200 with the user, level and a new token, or 300
 * "validate credentials" with the missing methods (and a token that does not log in until they
 * are validated). On 200 the session becomes the user's.
 */
export async function onLogin(sess: Session, id: string, ts: Date, rec: AuthResult, missing: string[]): Promise<ServerMessage> {
  const { ctx } = sess;
  const params: Record<string, unknown> = { user: userId(rec.uid), authlvl: authLevelName(rec.authLevel) };
  let kind: 'ok' | 'validateCredentials' = 'ok';
  let features = rec.features;
  if (missing.length > 0) {
    kind = 'validateCredentials';
    params.cred = missing;
  } else {
    if ((features & FEATURE_NO_LOGIN) === 0) {
      sess.uid = rec.uid;
      sess.authLvl = rec.authLevel;
    }
    features |= FEATURE_VALIDATED;
    if (sess.deviceId) {
      try {
        await ctx.store.devices.update(rec.uid, '', { deviceId: sess.deviceId, platform: sess.platf, lastSeen: ts, lang: sess.lang });
      } catch (err) {
        ctx.log.warn(`failed to save the device of ${userId(rec.uid)}: ${String(err)}`);
      }
    }
  }
  const token = ctx.auth.get('token');
  if (token) {
    // A token for a login keeps the scheme's expiry only for one-off logins (reset codes).
    const lifetimeMs = kind === 'ok' && (rec.features & FEATURE_NO_LOGIN) === 0 ? 0 : rec.lifetimeMs;
    const { secret, expires } = await token.genSecret({ ...rec, features, lifetimeMs });
    params.token = secret.toString('base64');
    params.expires = expires.toISOString();
  }
  return reply(kind, id, '', ts, params);
}

/** Sends a password reset code to a validated credential: `secret` is "scheme:method:value". */
async function secretReset(sess: Session, secret: Buffer): Promise<void> {
  const { ctx } = sess;
  const parts = secret.toString('utf8').split(':');
  if (parts.length < 3) {
    throw new StoreError('malformed');
  }
  const [schemeName, method, ...rest] = parts as [string, string, ...string[]];
  const value = rest.join(':');
  const scheme = ctx.auth.get(schemeName);
  const v = ctx.validators.get(method);
  if (!scheme || !v) {
    throw new StoreError('unsupported');
  }
  const uid = await ctx.store.users.getByCred(method, value);
  if (uid === 0n) {
    // Do not tell who has an account.
    return;
  }
  const resetParams = await scheme.getResetParams(uid);
  const temp = ctx.auth.get(v.validator.tempAuthScheme());
  if (!temp) {
    ctx.log.error(`password reset: the "${v.validator.tempAuthScheme()}" scheme is not available`);
    throw new StoreError('internal');
  }
  try {
    const { secret: code } = await temp.genSecret({
      uid,
      authLevel: 20,
      lifetimeMs: 0,
      features: FEATURE_NO_LOGIN,
      tags: [],
      credential: `${method}:${value}`,
    });
    await v.validator.resetSecret(value, schemeName, sess.lang, code, resetParams);
  } catch (err) {
    if (isStoreError(err)) {
      throw err;
    }
    throw new StoreError('internal', String(err));
  }
}
