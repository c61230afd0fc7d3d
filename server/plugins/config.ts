import { ConfigError } from '../../src/config/errors.js';

/**
 * The `plugins` section of tinode.conf, as the reference reads it: each enabled plugin has a
 * unique `name`, a `timeout` in microseconds, `filters` saying which calls it wants, what to answer
 * when it fails (`failure_code`, `failure_text`) and where it listens (`tcp://host:port` or
 * `unix://path`).
 */

export const PACKETS = ['hi', 'acc', 'login', 'sub', 'leave', 'pub', 'get', 'set', 'del', 'note', 'data', 'meta', 'pres', 'info'] as const;
export const TOPIC_KINDS = ['me', 'fnd', 'p2p', 'grp', 'sys', 'slf', 'new', 'nch'] as const;

/** Every client packet (the default of a firehose filter). */
export const CLIENT_PACKETS = (1 << 10) - 1;
/** Every existing topic kind (the default of a topic filter; `new` and `nch` only when named). */
export const ALL_TOPIC_KINDS = (1 << 6) - 1;

export const ACT_CREATE = 1;
export const ACT_UPDATE = 2;
export const ACT_DELETE = 4;
const ALL_ACTIONS = ACT_CREATE | ACT_UPDATE | ACT_DELETE;

/** One parsed filter: bit sets of packets, topic kinds and actions. */
export interface PluginFilter {
  packets: number;
  topics: number;
  actions: number;
}

export interface PluginConfig {
  name: string;
  /** Milliseconds; 0 waits forever. */
  timeoutMs: number;
  fireHose: PluginFilter | null;
  account: PluginFilter | null;
  topic: PluginFilter | null;
  subscription: PluginFilter | null;
  message: PluginFilter | null;
  find: boolean;
  failureCode: number;
  failureText: string;
  /** A gRPC target: `host:port` or `unix:/path`. */
  target: string;
  /** As configured, for logs. */
  serviceAddr: string;
}

function bitsOf(part: string, names: readonly string[], key: string): number {
  let bits = 0;
  for (const raw of part.toLowerCase().split(',')) {
    const v = raw.trim();
    if (!v) continue;
    const i = names.indexOf(v);
    if (i < 0) {
      if (bits !== 0) {
        throw new ConfigError(key, `unknown value "${v}"`, `names from ${names.join(', ')}`);
      }
      return 0;
    }
    bits |= 1 << i;
  }
  return bits;
}

function actionsOf(part: string): number {
  let bits = 0;
  for (const ch of part.trim()) {
    const c = ch.toUpperCase();
    if (c === 'C') bits |= ACT_CREATE;
    else if (c === 'U') bits |= ACT_UPDATE;
    else if (c === 'D') bits |= ACT_DELETE;
    else return 0;
  }
  return bits;
}

/**
 * Parses a filter such as `"pub,sub;grp,p2p"` (packets; topic kinds) or `"grp;CU"` (topic kinds;
 * actions). Parts may come in any order; a part that is missing means "all". Null when the filter
 * is not configured (the plugin does not get that call).
 */
export function parseFilter(text: unknown, by: { packets?: boolean; topics?: boolean; actions?: boolean }, key: string): PluginFilter | null {
  if (text === undefined || text === null) return null;
  if (typeof text !== 'string') throw new ConfigError(key, 'not a string', 'a filter such as "pub,sub;grp;CU"');
  const parts = text.split(';');
  const first = (fn: (p: string) => number, dflt: number) => {
    for (const p of parts) {
      const bits = fn(p);
      if (bits !== 0) return bits;
    }
    return dflt;
  };
  return {
    packets: by.packets ? first((p) => bitsOf(p, PACKETS, key), CLIENT_PACKETS) : 0,
    topics: by.topics ? first((p) => bitsOf(p, TOPIC_KINDS, key), ALL_TOPIC_KINDS) : 0,
    actions: by.actions ? first(actionsOf, ALL_ACTIONS) : 0,
  };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The enabled plugins of the `plugins` section; a mistake names its key and exits 2. */
export function parsePlugins(section: readonly unknown[]): PluginConfig[] {
  const out: PluginConfig[] = [];
  const names = new Set<string>();
  section.forEach((entry, i) => {
    const key = `plugins[${i}]`;
    if (!isObj(entry)) throw new ConfigError(key, 'not an object', 'an object with name, service_addr, filters...');
    if (entry.enabled !== true) return;
    const name = entry.name;
    if (typeof name !== 'string' || !name) throw new ConfigError(`${key}.name`, 'missing', 'a unique name');
    if (names.has(name)) throw new ConfigError(`${key}.name`, `duplicate name "${name}"`, 'a name no other plugin uses');
    names.add(name);
    const timeout = entry.timeout ?? 0;
    if (typeof timeout !== 'number' || timeout < 0) throw new ConfigError(`${key}.timeout`, 'not a number', 'microseconds to wait for the plugin, e.g. 20000');
    const addr = entry.service_addr;
    const m = typeof addr === 'string' ? /^(tcp|unix):\/\/(.+)$/.exec(addr) : null;
    if (!m) throw new ConfigError(`${key}.service_addr`, `"${String(addr)}" is not an address`, '"tcp://host:port" or "unix:///path/to/socket"');
    const filters = entry.filters ?? {};
    if (!isObj(filters)) throw new ConfigError(`${key}.filters`, 'not an object', 'an object of filters');
    const code = entry.failure_code ?? 0;
    if (typeof code !== 'number') throw new ConfigError(`${key}.failure_code`, 'not a number', 'an HTTP-style code such as 500, or 0 to ignore failures');
    out.push({
      name,
      timeoutMs: timeout / 1000,
      fireHose: parseFilter(filters.fire_hose, { packets: true, topics: true }, `${key}.filters.fire_hose`),
      account: parseFilter(filters.account, { actions: true }, `${key}.filters.account`),
      topic: parseFilter(filters.topic, { topics: true, actions: true }, `${key}.filters.topic`),
      subscription: parseFilter(filters.subscription, { topics: true, actions: true }, `${key}.filters.subscription`),
      message: parseFilter(filters.message, { topics: true, actions: true }, `${key}.filters.message`),
      find: filters.find === true,
      failureCode: code,
      failureText: typeof entry.failure_text === 'string' ? entry.failure_text : '',
      target: m[1] === 'unix' ? `unix:${m[2]!}` : m[2]!,
      serviceAddr: addr as string,
    });
  });
  return out;
}

/** The topic kind bit of a topic name as a client writes it (`usr…` is p2p). */
export function topicKindBit(topic: string): number {
  if (topic === 'me') return 1 << 0;
  const p = topic.slice(0, 3);
  const i = ['me', 'fnd', 'usr', 'grp', 'sys', 'slf', 'new', 'nch'].indexOf(p);
  if (p === 'p2p') return 1 << 2;
  if (p === 'chn') return 1 << 3;
  return i < 0 ? 0 : 1 << i;
}
