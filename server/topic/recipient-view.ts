import type { ServerMessage } from '../../src/wire/server-messages.js';

/*
 * Why views are memoized: the transports cache a message's encoding per message object, so a
 * broadcast is encoded once only if every recipient who sees the same frame is handed the same
 * object. A group's members all see the group under one name, a channel's readers under the
 * `chn` name; a p2p topic has two names. Memoizing the view per (message, name, channel reader)
 * makes one object, so one encoding, per distinct view instead of one per recipient.
 */
const views = new WeakMap<ServerMessage, Map<string, ServerMessage>>();

/**
 * `msg` as a recipient who calls the topic `name` sees it: the topic renamed, and without `from`
 * in `{data}` for a channel reader. Returns `msg` itself when nothing changes, and the same
 * object for the same (`msg`, `name`, `isChanSub`) for as long as `msg` lives, so its encoding
 * is shared. The views must not be mutated by the caller.
 */
export function recipientView(msg: ServerMessage, name: string, isChanSub: boolean): ServerMessage {
  if ('data' in msg) {
    if (msg.data.topic === name && !isChanSub) return msg;
  } else if ('pres' in msg) {
    if (msg.pres.topic === name) return msg;
  } else if ('info' in msg) {
    if (msg.info.topic === name) return msg;
  } else {
    return msg;
  }
  let byName = views.get(msg);
  if (!byName) {
    byName = new Map();
    views.set(msg, byName);
  }
  const key = isChanSub ? `c:${name}` : `u:${name}`;
  let view = byName.get(key);
  if (!view) {
    view = makeView(msg, name, isChanSub);
    byName.set(key, view);
  }
  return view;
}

function makeView(msg: ServerMessage, name: string, isChanSub: boolean): ServerMessage {
  if ('data' in msg) {
    const data = { ...msg.data, topic: name };
    if (isChanSub) delete data.from;
    return { data };
  }
  if ('pres' in msg) return { pres: { ...msg.pres, topic: name } };
  if ('info' in msg) return { info: { ...msg.info, topic: name } };
  return msg;
}
