import type { HiMsg } from '../../src/wire/client-messages.js';
import { ProtocolError } from '../../src/wire/protocol-error.js';
import { reply } from '../../src/wire/replies.js';
import { MAX_TAG_LENGTH, MIN_TAG_LENGTH, NULL_VALUE } from '../../src/model/tags.js';
import { countryOfLanguage, MIN_SUPPORTED_VERSION, parseVersion, platformFromUA, versionCompare } from './client-info.js';
import type { SessionRequest as Request } from './session.js';

/**
 * `{hi}`: the handshake (version check, server parameters), and later `{hi}`s that only change
 * the push device id. The reference answers 201 on websocket and 200 on long polling.
 */
export async function handleHi(req: Request<HiMsg>): Promise<void> {
  const { sess } = req;
  const { ctx } = sess;
  const hi = req.msg.body;
  let params: Record<string, unknown> | undefined;
  let deviceUpdate = false;
  if (sess.ver === 0) {
    const ver = parseVersion(hi.ver ?? '');
    if (ver === 0) {
      throw new ProtocolError('malformed');
    }
    if (versionCompare(ver, parseVersion(MIN_SUPPORTED_VERSION)) < 0) {
      sess.send(reply('versionNotSupported', req.msg.id, '', req.ts));
      return;
    }
    sess.ver = ver;
    ctx.guards.sessions.greeted(sess);
    params = {
      ver: ctx.version.ver,
      build: ctx.version.build,
      maxMessageSize: ctx.limits.maxMessageSize,
      maxSubscriberCount: ctx.limits.maxSubscriberCount,
      minTagLength: MIN_TAG_LENGTH,
      maxTagLength: MAX_TAG_LENGTH,
      maxTagCount: ctx.limits.maxTagCount,
      maxFileUploadSize: ctx.limits.maxFileUploadSize,
      reqCred: ctx.reqCredParam,
      msgDelAge: ctx.limits.msgDeleteAge,
    };
    if (ctx.calls) {
      // An empty list too: clients show the call buttons when the key is there.
      params.iceServers = ctx.calls.iceServers;
      params.callTimeout = ctx.calls.timeoutSeconds;
    }
    if (sess.transport === 'grpc') {
      params.clusterSize = ctx.clusterSize();
    }
    sess.userAgent = hi.ua ?? '';
    sess.platf = hi.platf || platformFromUA(sess.userAgent);
    // Set once, as the reference: a later {hi} cannot change the agent, the platform or this.
    if (hi.bkg === true && ctx.backgroundSessions.enabled) {
      sess.background = true;
      ctx.backgroundSessions.wait(sess);
    }
  } else if (!hi.ver || parseVersion(hi.ver) === sess.ver) {
    // A later {hi}: only the push device id can change, and only when logged in.
    if (sess.uid === 0n) {
      throw new ProtocolError('authRequired');
    }
    if (hi.dev === NULL_VALUE) {
      deviceUpdate = true;
      if (sess.deviceId) {
        await ctx.store.devices.update(sess.uid, sess.deviceId, null);
      }
    } else if (hi.dev && hi.dev !== sess.deviceId) {
      deviceUpdate = true;
      await ctx.store.devices.update(sess.uid, sess.deviceId, { deviceId: hi.dev, platform: sess.platf, lastSeen: req.ts, lang: hi.lang ?? '' });
    }
  } else {
    sess.send(reply('commandOutOfSequence', req.msg.id, '', req.ts));
    return;
  }
  sess.deviceId = hi.dev === NULL_VALUE ? '' : (hi.dev ?? '');
  sess.lang = hi.lang ?? '';
  sess.countryCode = countryOfLanguage(sess.lang) || ctx.limits.defaultCountryCode;
  const kind = sess.transport === 'lp' || deviceUpdate ? 'ok' : 'created';
  // reqCred is sent even when null, as the reference does.
  const msg = reply(kind, req.msg.id, '', req.ts);
  if (params && 'ctrl' in msg) {
    msg.ctrl.params = params;
  }
  sess.send(msg);
}
