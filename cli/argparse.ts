/**
 * A small argument parser for the client's commands, in the manner of Python's argparse that
 * the reference client uses: positional arguments (some optional, some also accepted as
 * `--name`), `--option value` and `--option=value`, flags, short aliases, choices, unique
 * prefixes of long options, `--` to end options, and `-h`/`--help`.
 */

export type ArgValue = string | boolean | undefined;
export type ParsedArgs = Record<string, ArgValue>;

export interface OptionSpec {
  /** Long name without dashes, e.g. `do-login`. Its key in the result is the camelCase form. */
  name: string;
  /** One-letter alias, e.g. `P` for `-P`. */
  short?: string;
  /** A flag takes no value (true when given); the others take one word. */
  flag?: boolean;
  help: string;
  /** Name of the value in help, default the option name in capitals. */
  metavar?: string;
  choices?: readonly string[];
  required?: boolean;
  default?: string;
  /** Other long names accepted, e.g. `as_root`. */
  aliases?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  help: string;
  optional?: boolean;
  choices?: readonly string[];
  default?: string;
}

export interface CommandSpec {
  name: string;
  description: string;
  positionals?: readonly PositionalSpec[];
  options?: readonly OptionSpec[];
  /** Text after the option list in help. */
  epilog?: string;
}

export type ParseResult = { kind: 'ok'; args: ParsedArgs } | { kind: 'help'; text: string } | { kind: 'error'; message: string; usage: string };

/** `do-login` → `doLogin`, `as_root` → `asRoot`. */
export function keyOf(name: string): string {
  return name.replace(/[-_]+([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const norm = (name: string) => name.replace(/_/g, '-');

function metavarOf(o: OptionSpec): string {
  if (o.metavar) return o.metavar;
  if (o.choices) return `{${o.choices.join(',')}}`;
  return o.name.replace(/-/g, '_').toUpperCase();
}

export function usageOf(spec: CommandSpec): string {
  const parts = [spec.name];
  for (const o of spec.options ?? []) {
    const flag = o.short ? `-${o.short}` : `--${o.name}`;
    const text = o.flag ? flag : `${flag} ${metavarOf(o)}`;
    parts.push(o.required ? text : `[${text}]`);
  }
  for (const p of spec.positionals ?? []) {
    const text = p.choices ? `{${p.choices.join(',')}}` : p.name;
    parts.push(p.optional ? `[${text}]` : text);
  }
  return `usage: ${parts.join(' ')}`;
}

export function helpOf(spec: CommandSpec): string {
  const lines = [usageOf(spec), '', spec.description];
  const rows: [string, string][] = [];
  for (const p of spec.positionals ?? []) {
    rows.push([p.name, p.help + (p.choices ? ` (one of: ${p.choices.join(', ')})` : '')]);
  }
  const opts: [string, string][] = [['-h, --help', 'show this help']];
  for (const o of spec.options ?? []) {
    const names = [o.short ? `-${o.short}` : '', `--${o.name}`].filter(Boolean).join(', ');
    const left = o.flag ? names : `${names} ${metavarOf(o)}`;
    let help = o.help;
    if (o.default !== undefined) help += ` (default: ${o.default})`;
    if (o.required) help += ' (required)';
    opts.push([left, help]);
  }
  const width = Math.min(32, Math.max(...[...rows, ...opts].map(([l]) => l.length)) + 2);
  const fmt = ([l, r]: [string, string]) => (l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${r}` : `  ${l.padEnd(width)}${r}`);
  if (rows.length > 0) {
    lines.push('', 'positional arguments:', ...rows.map(fmt));
  }
  lines.push('', 'options:', ...opts.map(fmt));
  if (spec.epilog) {
    lines.push('', spec.epilog);
  }
  return lines.join('\n');
}

function findOption(spec: CommandSpec, name: string): OptionSpec | string {
  const options = spec.options ?? [];
  const wanted = norm(name);
  const exact = options.find((o) => norm(o.name) === wanted || (o.aliases ?? []).some((a) => norm(a) === wanted));
  if (exact) return exact;
  const prefixed = options.filter((o) => norm(o.name).startsWith(wanted));
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) return `ambiguous option: --${name} could match ${prefixed.map((o) => `--${o.name}`).join(', ')}`;
  return `unrecognized argument: --${name}`;
}

/** Parses the words after the command name. */
export function parseArgs(spec: CommandSpec, words: readonly string[]): ParseResult {
  const usage = usageOf(spec);
  const fail = (message: string): ParseResult => ({ kind: 'error', message: `${spec.name}: error: ${message}`, usage });
  const args: ParsedArgs = {};
  for (const o of spec.options ?? []) {
    args[keyOf(o.name)] = o.flag ? false : o.default;
  }
  const free: string[] = [];
  let onlyPositional = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (onlyPositional || w === '-' || !w.startsWith('-') || /^-\d/.test(w)) {
      free.push(w);
      continue;
    }
    if (w === '--') {
      onlyPositional = true;
      continue;
    }
    if (w === '-h' || w === '--help') {
      return { kind: 'help', text: helpOf(spec) };
    }
    let opt: OptionSpec | string;
    let inline: string | undefined;
    if (w.startsWith('--')) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w.slice(2) : w.slice(2, eq);
      inline = eq < 0 ? undefined : w.slice(eq + 1);
      opt = findOption(spec, name);
    } else {
      const letter = w[1]!;
      const found = (spec.options ?? []).find((o) => o.short === letter);
      opt = found ?? `unrecognized argument: ${w}`;
      if (found && w.length > 2) {
        inline = w[2] === '=' ? w.slice(3) : w.slice(2);
      }
    }
    if (typeof opt === 'string') {
      return fail(opt);
    }
    const key = keyOf(opt.name);
    if (opt.flag) {
      if (inline !== undefined) {
        return fail(`argument --${opt.name}: takes no value`);
      }
      args[key] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = words[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        return fail(`argument --${opt.name}: expected one value`);
      }
      value = next;
      i++;
    }
    if (opt.choices && !opt.choices.includes(value)) {
      return fail(`argument --${opt.name}: invalid choice: '${value}' (choose from ${opt.choices.map((c) => `'${c}'`).join(', ')})`);
    }
    args[key] = value;
  }
  const positionals = spec.positionals ?? [];
  const required = positionals.filter((p) => !p.optional).length;
  if (free.length > positionals.length) {
    return fail(`unrecognized arguments: ${free.slice(positionals.length).join(' ')}`);
  }
  // As argparse does, optional positionals take what the required ones leave.
  let spare = free.length - required;
  let k = 0;
  const missing: string[] = [];
  for (const p of positionals) {
    const key = keyOf(p.name);
    if (p.optional && spare <= 0) {
      if (args[key] === undefined) args[key] = p.default;
      continue;
    }
    if (p.optional) spare--;
    const value = free[k++];
    if (value === undefined) {
      missing.push(p.name);
      continue;
    }
    if (p.choices && !p.choices.includes(value)) {
      return fail(`argument ${p.name}: invalid choice: '${value}' (choose from ${p.choices.map((c) => `'${c}'`).join(', ')})`);
    }
    args[key] = value;
  }
  if (missing.length > 0) {
    return fail(`the following arguments are required: ${missing.join(', ')}`);
  }
  const absent = (spec.options ?? []).filter((o) => o.required && args[keyOf(o.name)] === undefined);
  if (absent.length > 0) {
    return fail(`the following arguments are required: ${absent.map((o) => `--${o.name}`).join(', ')}`);
  }
  return { kind: 'ok', args };
}
