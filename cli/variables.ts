import type { ArgValue, ParsedArgs } from './argparse.js';

/**
 * Variables: replies kept by `.await $name ...` and `.must $name ...`, read back as `$name`,
 * `$name.field`, `$name.params[token]` or `$meta.sub[0].topic`. The replies are kept with the
 * field names of the JSON protocol (`user`, `seq`, `from`...); the protobuf names the reference
 * client shows (`user_id`, `seq_id`, `from_user_id`...) and camelCase forms work as well.
 */

/** Protobuf field names → the JSON protocol's. */
const ALIASES: Record<string, string> = {
  user_id: 'user',
  from_user_id: 'from',
  seq_id: 'seq',
  read_id: 'read',
  recv_id: 'recv',
  del_id: 'clear',
  target_user_id: 'tgt',
  actor_user_id: 'act',
  default_acs: 'defacs',
  created_at: 'created',
  updated_at: 'updated',
  touched_at: 'touched',
  deleted_at: 'deleted',
  timestamp: 'ts',
  user_agent: 'ua',
  del_seq: 'delseq',
  is_chan: 'chan',
  method: 'meth',
  value: 'val',
  response: 'resp',
};

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export class VariableError extends Error {
  override readonly name = 'VariableError';
}

/** Splits `$meta.sub[0].topic` into the name `$meta` and the keys `sub`, `0`, `topic`. */
export function parsePath(path: string): { name: string; keys: string[] } {
  const m = /^(\$\w+)((?:\.\w+|\[[^\]]*\])*)$/.exec(path);
  if (!m) {
    throw new VariableError(`"${path}" is not a variable: write $name, $name.field, $name.map[key] or $name.list[0]`);
  }
  const keys: string[] = [];
  for (const k of m[2]!.matchAll(/\.(\w+)|\[([^\]]*)\]/g)) {
    keys.push(k[1] ?? k[2]!);
  }
  return { name: m[1]!, keys };
}

function step(value: unknown, key: string): unknown {
  if (value === null || value === undefined) {
    return undefined;
  }
  if (Array.isArray(value)) {
    if (key === 'length') return value.length;
    return /^\d+$/.test(key) ? (value as unknown[])[Number(key)] : undefined;
  }
  if (typeof value !== 'object' || value instanceof Date) {
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  for (const k of [key, ALIASES[key], ALIASES[snake(key)]]) {
    if (k !== undefined && Object.prototype.hasOwnProperty.call(obj, k)) {
      return obj[k];
    }
  }
  // Older scripts read found users as sub[i].user_id; search results name them in `topic`.
  if ((key === 'user_id' || key === 'userId') && typeof obj.topic === 'string' && obj.topic.startsWith('usr')) {
    return obj.topic;
  }
  return undefined;
}

export class Variables {
  private readonly values = new Map<string, unknown>();

  set(name: string, value: unknown): void {
    this.values.set(name.startsWith('$') ? name : `$${name}`, value);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The value at a path; undefined when the variable or a step of the path is missing. */
  get(path: string): unknown {
    const { name, keys } = parsePath(path);
    let value: unknown = this.values.get(name);
    for (const k of keys) {
      value = step(value, k);
    }
    return value;
  }

  names(): string[] {
    return [...this.values.keys()];
  }
}

/** A value as a command argument: strings as they are, other values as JSON. */
export function asArgument(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Replaces every argument that is a variable reference (`$name...`) with its value, as the
 * reference does. Returns the names of references that had no value.
 */
export function derefArgs(args: ParsedArgs, vars: Variables, keep: readonly string[] = []): { args: ParsedArgs; unset: string[] } {
  const out: ParsedArgs = {};
  const unset: string[] = [];
  for (const [key, value] of Object.entries(args)) {
    let v: ArgValue = value;
    if (typeof value === 'string' && value.startsWith('$') && !keep.includes(key) && /^\$\w/.test(value)) {
      v = asArgument(vars.get(value));
      if (v === undefined) unset.push(value);
    }
    out[key] = v;
  }
  return { args: out, unset };
}
