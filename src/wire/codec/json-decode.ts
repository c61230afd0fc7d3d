import type { ClientMessage } from '../client-messages.js';
import { decodeClientBody, decodeExtra, dialect, type ClientKind } from './client-decode.js';
import { DecodeError, JSON_READERS, type Obj } from './readers.js';
import { DEFAULT_MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';

/**
 * Decodes one JSON client message as the reference server does: unknown fields are ignored,
 * `null` and missing fields take their zero value, a field of the wrong type makes the whole
 * packet malformed. When a packet holds several message kinds, the first of the reference's
 * order (pub, sub, leave, hi, login, get, set, del, acc, note) is taken.
 */
export { DecodeError };

const JSON_WIRE = dialect(JSON_READERS);

const ORDER: readonly ClientKind[] = ['pub', 'sub', 'leave', 'hi', 'login', 'get', 'set', 'del', 'acc', 'note'];

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Decodes a client packet. Throws {@link DecodeError} when it is not JSON, nests deeper than
 * `maxDepth` (objects and arrays, the envelope included), is not an object, has a field of the
 * wrong type, or holds no known message.
 */
export function decodeClientJson(text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): ClientMessage {
  if (nestsDeeperThan(text, maxDepth)) {
    throw new DecodeError(`nested deeper than ${maxDepth} levels`);
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    throw new DecodeError('not valid JSON');
  }
  if (!isObj(root)) {
    throw new DecodeError('not a JSON object');
  }
  // Go decodes every field before dispatching: a wrong type anywhere is malformed.
  const ext = decodeExtra(JSON_WIRE, root.extra);
  let found: ClientMessage | null = null;
  for (const type of ORDER) {
    const body = JSON_READERS.obj(root[type], type);
    if (body) {
      const msg = decodeClientBody(JSON_WIRE, type, body, ext);
      found ??= msg;
    }
  }
  if (!found) {
    throw new DecodeError('no known message in the packet');
  }
  return found;
}
