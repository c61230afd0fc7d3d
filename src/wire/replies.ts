import type { CtrlMsg, ServerMessage } from './server-messages.js';

/**
 * Every ctrl reply of the protocol, with the reference server's code and text. Code builds a
 * reply by name: `reply('permissionDenied', id, topic, ts)`.
 */
export const REPLIES = {
  ok: [200, 'ok'],
  created: [201, 'created'],
  accepted: [202, 'accepted'],
  noContent: [204, 'no content'],
  evicted: [205, 'evicted'],
  shutdown: [205, 'server shutdown'],
  delivered: [208, 'delivered'],
  validateCredentials: [300, 'validate credentials'],
  challenge: [300, 'challenge'],
  authReset: [301, 'auth reset'],
  useOther: [303, 'use other'],
  alreadySubscribed: [304, 'already subscribed'],
  notJoined: [304, 'not joined'],
  noAction: [304, 'no action'],
  notModified: [304, 'not modified'],
  found: [307, 'found'],
  malformed: [400, 'malformed'],
  authRequired: [401, 'authentication required'],
  authFailed: [401, 'authentication failed'],
  authUnknownScheme: [401, 'unknown authentication scheme'],
  permissionDenied: [403, 'permission denied'],
  apiKeyRequired: [403, 'valid API key required'],
  sessionNotFound: [403, 'invalid or expired session'],
  topicNotFound: [404, 'topic not found'],
  userNotFound: [404, 'user not found'],
  notFound: [404, 'not found'],
  operationNotAllowed: [405, 'operation or method not allowed'],
  invalidResponse: [406, 'invalid response'],
  disconnected: [408, 'disconnected'],
  alreadyAuthenticated: [409, 'already authenticated'],
  duplicateCredential: [409, 'duplicate credential'],
  attachFirst: [409, 'must attach first'],
  alreadyExists: [409, 'already exists'],
  commandOutOfSequence: [409, 'command out of sequence'],
  gone: [410, 'gone'],
  tooLarge: [413, 'too large'],
  policy: [422, 'policy violation'],
  /** Not in the reference: a session or client over one of the server's rate limits. */
  tooManyRequests: [429, 'too many requests'],
  callBusy: [486, 'busy here'],
  unknown: [500, 'internal error'],
  notImplemented: [501, 'not implemented'],
  clusterUnreachable: [502, 'cluster unreachable'],
  serviceUnavailable: [503, 'service unavailable'],
  locked: [503, 'locked'],
  versionNotSupported: [505, 'version not supported'],
} as const satisfies Record<string, readonly [number, string]>;

export type ReplyKind = keyof typeof REPLIES;

/** A ctrl message of the given kind. `id` and `topic` are left out when empty; `params` when empty. */
export function reply(kind: ReplyKind, id: string, topic: string, ts: Date, params?: Record<string, unknown>): ServerMessage {
  const [code, text] = REPLIES[kind];
  const ctrl: CtrlMsg = { code, text, ts };
  if (id) ctrl.id = id;
  if (topic) ctrl.topic = topic;
  if (params && Object.keys(params).length > 0) ctrl.params = params;
  return { ctrl };
}

/** The code of a reply kind. */
export function replyCode(kind: ReplyKind): number {
  return REPLIES[kind][0];
}
