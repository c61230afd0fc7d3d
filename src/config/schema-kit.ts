import { ConfigError } from './errors.js';

/**
 * A small declarative schema for the config file: each node validates one JSON value at a key path,
 * fills in defaults for missing values, and reports a {@link ConfigError} naming the key otherwise.
 * Types of the resulting config are inferred from the schema, so the two cannot drift apart.
 */
export interface Node<T> {
  /** Validates `value` found at `path` (undefined when missing) and returns it with defaults applied. */
  parse(value: unknown, path: string): T;
  /** Human description of the accepted values, for error messages. */
  readonly expected: string;
}

export type Infer<N> = N extends Node<infer T> ? T : never;

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  }
  if (typeof value === 'object') {
    return 'an object';
  }
  return `${typeof value} ${String(value)}`;
}

function fail(path: string, value: unknown, expected: string): never {
  throw new ConfigError(path, `found ${describe(value)}`, expected);
}

/** A string; `check` may reject it with a reason. */
export function str(def: string, check?: (v: string) => string | null, expected = 'a string'): Node<string> {
  return {
    expected,
    parse(value, path) {
      if (value === undefined || value === null) {
        return def;
      }
      if (typeof value !== 'string') {
        fail(path, value, expected);
      }
      const problem = check?.(value);
      if (problem) {
        throw new ConfigError(path, problem, expected);
      }
      return value;
    },
  };
}

/** A string or null (kept as null when missing). */
export function optStr(): Node<string | null> {
  return {
    expected: 'a string',
    parse(value, path) {
      if (value === undefined || value === null) {
        return null;
      }
      if (typeof value !== 'string') {
        fail(path, value, 'a string');
      }
      return value;
    },
  };
}

/** An integer within bounds. */
export function int(def: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Node<number> {
  const expected =
    min > Number.MIN_SAFE_INTEGER && max < Number.MAX_SAFE_INTEGER
      ? `an integer from ${min} to ${max}`
      : min > Number.MIN_SAFE_INTEGER
        ? `an integer of at least ${min}`
        : 'an integer';
  return {
    expected,
    parse(value, path) {
      if (value === undefined || value === null) {
        return def;
      }
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        fail(path, value, expected);
      }
      return value;
    },
  };
}

/** true or false. */
export function bool(def: boolean): Node<boolean> {
  return {
    expected: 'true or false',
    parse(value, path) {
      if (value === undefined || value === null) {
        return def;
      }
      if (typeof value !== 'boolean') {
        fail(path, value, 'true or false');
      }
      return value;
    },
  };
}

/** An array of items; `def` when missing. */
export function arr<T>(item: Node<T>, def: T[] = []): Node<T[]> {
  const expected = `an array of ${item.expected.replace(/^an? /, '')}s`;
  return {
    expected,
    parse(value, path) {
      if (value === undefined || value === null) {
        return def.map((v, i) => item.parse(v, `${path}[${i}]`));
      }
      if (!Array.isArray(value)) {
        fail(path, value, expected);
      }
      return value.map((v, i) => item.parse(v, `${path}[${i}]`));
    },
  };
}

type Shape = Record<string, Node<unknown>>;
type ObjOf<S extends Shape> = { [K in keyof S]: Infer<S[K]> };

/**
 * An object with known keys. Unknown keys are kept out of the result (the reference server ignores
 * them too) but reported through `onUnknown`, so the loader can warn about likely typos.
 */
export function obj<S extends Shape>(shape: S): Node<ObjOf<S>> {
  return {
    expected: 'an object',
    parse(value, path) {
      if (value !== undefined && value !== null && (typeof value !== 'object' || Array.isArray(value))) {
        fail(path, value, 'an object');
      }
      const src = (value ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, node] of Object.entries(shape)) {
        out[key] = node.parse(src[key], path ? `${path}.${key}` : key);
      }
      for (const key of Object.keys(src)) {
        if (!(key in shape)) {
          unknownKeyListener?.(path ? `${path}.${key}` : key);
        }
      }
      return out as ObjOf<S>;
    },
  };
}

/**
 * `node`, but a missing value (the whole key absent) stands for `missing`: a section whose
 * defaults differ from those of the same section given with some keys left out.
 */
export function whenMissing<T>(node: Node<T>, missing: unknown): Node<T> {
  return {
    expected: node.expected,
    parse(value, path) {
      return node.parse(value === undefined || value === null ? missing : value, path);
    },
  };
}

/** A map from free-form keys to values of one kind. */
export function record<T>(item: Node<T>, def: Record<string, T> = {}): Node<Record<string, T>> {
  return {
    expected: 'an object',
    parse(value, path) {
      if (value === undefined || value === null) {
        return { ...def };
      }
      if (typeof value !== 'object' || Array.isArray(value)) {
        fail(path, value, 'an object');
      }
      const out: Record<string, T> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        out[key] = item.parse(v, `${path}.${key}`);
      }
      return out;
    },
  };
}

/** A section that may be left out: null when missing or null, else parsed by `node` (defaults applied). */
export function nullable<T>(node: Node<T>): Node<T | null> {
  return {
    expected: `${node.expected} or null`,
    parse(value, path) {
      return value === undefined || value === null ? null : node.parse(value, path);
    },
  };
}

/** Any JSON value, passed through unchecked (sections owned by a pluggable part). */
export function raw<T = unknown>(def: T): Node<unknown> {
  return {
    expected: 'a JSON value',
    parse(value) {
      return value === undefined ? def : value;
    },
  };
}

/** A string from a fixed set. */
export function oneOf<T extends string>(def: T, values: readonly T[]): Node<T> {
  const expected = `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    expected,
    parse(value, path) {
      if (value === undefined || value === null) {
        return def;
      }
      if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
        fail(path, value, expected);
      }
      return value as T;
    },
  };
}

let unknownKeyListener: ((path: string) => void) | undefined;

/** Runs `fn` with a listener for unknown keys met while parsing. */
export function withUnknownKeyListener<T>(listener: (path: string) => void, fn: () => T): T {
  const prev = unknownKeyListener;
  unknownKeyListener = listener;
  try {
    return fn();
  } finally {
    unknownKeyListener = prev;
  }
}
