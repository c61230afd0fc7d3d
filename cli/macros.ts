import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandSpec, OptionSpec, ParsedArgs, PositionalSpec } from './argparse.js';
import { CommandError } from './media.js';
import { quoteWord } from './tokenizer.js';

/**
 * Macros: commands that expand into a list of basic commands, run in order. The built-in ones
 * are those of the reference client; more can be loaded from an ES module with --load-macros.
 */

/** What a macro's expansion may use. */
export interface MacroContext {
  /** The variable named after `.await`/`.must` (e.g. `$user`), or `$temp` when none was. */
  readonly varname: string;
  /** The default (on behalf of) user before the macro runs, '' when none. */
  readonly defaultUser: string;
  /** Quotes a value for a command line. */
  quote(value: string): string;
}

/**
 * A macro. `expand` returns the commands to run (or throws an Error whose message explains
 * what is wrong). A file given to --load-macros exports an array of these as `macros` or as
 * its default export.
 */
export interface MacroDefinition {
  name: string;
  description: string;
  positionals?: readonly PositionalSpec[];
  options?: readonly OptionSpec[];
  expand(args: ParsedArgs, ctx: MacroContext): readonly string[] | null | undefined;
}

const EXPLAIN: OptionSpec = { name: 'explain', flag: true, help: 'only print the commands the macro expands to' };

/** The argument spec of a macro, with --explain added. */
export function macroSpec(m: MacroDefinition): CommandSpec {
  return { name: m.name, description: m.description, positionals: m.positionals ?? [], options: [...(m.options ?? []), EXPLAIN] };
}

const s = (args: ParsedArgs, key: string): string | undefined => (typeof args[key] === 'string' ? (args[key] as string) : undefined);
const q = quoteWord;

/** Runs `cmd` on behalf of `user` on its 'me' topic, then restores the default user. */
function asUser(user: string, ctx: MacroContext, ...cmds: string[]): string[] {
  return [`.use --user ${q(user)}`, '.must sub me', ...cmds, '.must leave me', `.use --user ${q(ctx.defaultUser)}`];
}

const usermod: MacroDefinition = {
  name: 'usermod',
  description: 'Modify a user account: suspend, restore, change the card or trusted markers (requires root)',
  positionals: [{ name: 'userid', help: 'user to update' }],
  options: [
    { name: 'suspend', short: 'L', flag: true, help: 'suspend the account' },
    { name: 'unsuspend', short: 'U', flag: true, help: 'restore (un-suspend) the account' },
    { name: 'name', help: 'public name' },
    { name: 'avatar', help: 'avatar file name' },
    { name: 'comment', help: 'private comment on the account' },
    { name: 'note', help: 'account description' },
    { name: 'trusted', help: 'add or remove trusted markers: verified, staff, danger (rm-staff removes)' },
  ],
  expand(args, ctx) {
    const user = s(args, 'userid')!;
    if (args.suspend === true || args.unsuspend === true) {
      if (args.suspend === true && args.unsuspend === true) {
        throw new CommandError('usermod: cannot both suspend and unsuspend the account');
      }
      return [`acc --user ${q(user)} --as-root --suspend ${args.suspend === true ? 'true' : 'false'}`];
    }
    let set = `.must ${ctx.varname} set me`;
    const name = s(args, 'name');
    const avatar = s(args, 'avatar');
    const comment = s(args, 'comment');
    const note = s(args, 'note');
    const trusted = s(args, 'trusted');
    if (name !== undefined) set += ` --fn=${q(name)}`;
    if (avatar !== undefined) set += ` --photo=${q(avatar)}`;
    if (comment !== undefined) set += ` --private=${q(comment)}`;
    if (note !== undefined) set += ` --note=${q(note)}`;
    if (trusted !== undefined) set += ` --trusted=${q(trusted)} --as-root`;
    if ([name, avatar, comment, note, trusted].every((v) => v === undefined)) {
      throw new CommandError('usermod: nothing to change: give -L, -U, --name, --avatar, --comment, --note or --trusted');
    }
    return asUser(user, ctx, set);
  },
};

const resolveMacro: MacroDefinition = {
  name: 'resolve',
  description: 'Find the user ID of a login name and print it',
  positionals: [{ name: 'login', help: 'login to resolve' }],
  expand(args, ctx) {
    const login = s(args, 'login')!;
    return ['.must sub fnd', `.must set fnd --public=${q(`basic:${login}`)}`, `.must ${ctx.varname} get fnd --sub`, '.must leave fnd', `.log ${ctx.varname}.sub[0].topic`];
  },
};

const passwd: MacroDefinition = {
  name: 'passwd',
  description: "Set a user's password (requires root)",
  positionals: [{ name: 'userid', help: 'ID of the user' }],
  options: [{ name: 'password', short: 'P', help: 'the new password (asked for when missing in interactive mode)' }],
  expand(args) {
    const password = s(args, 'password');
    if (!password) {
      throw new CommandError('passwd: give the new password with -P');
    }
    return [`acc --user ${q(s(args, 'userid')!)} --scheme basic --secret ${q(`:${password}`)}`];
  },
};

const useradd: MacroDefinition = {
  name: 'useradd',
  description: 'Create a new user account',
  positionals: [{ name: 'login', help: 'user login' }],
  options: [
    { name: 'password', short: 'P', help: 'password (asked for when missing in interactive mode)' },
    { name: 'cred', help: 'comma-separated credentials, e.g. email:test@example.com,tel:17771112233' },
    { name: 'name', help: 'public name of the user' },
    { name: 'comment', help: 'private comment' },
    { name: 'note', help: 'public description' },
    { name: 'trusted', help: 'trusted markers: verified, staff, danger (requires root)' },
    { name: 'tags', help: 'comma-separated list of tags' },
    { name: 'avatar', help: 'path to the avatar file' },
    { name: 'auth', help: 'default access mode for authenticated users' },
    { name: 'anon', help: 'default access mode for anonymous users' },
  ],
  expand(args, ctx) {
    const login = s(args, 'login')!;
    const password = s(args, 'password');
    if (!password) throw new CommandError('useradd: give the password with --password (-P)');
    const cred = s(args, 'cred');
    if (!cred) throw new CommandError('useradd: give at least one credential with --cred, e.g. --cred email:test@example.com');
    let cmd = `.must ${ctx.varname} acc --scheme basic --secret=${q(`${login}:${password}`)} --cred=${q(cred)}`;
    const add = (opt: string, key: string) => {
      const v = s(args, key);
      if (v !== undefined && v !== '') cmd += ` --${opt}=${q(v)}`;
    };
    add('fn', 'name');
    add('private', 'comment');
    add('note', 'note');
    add('tags', 'tags');
    add('photo', 'avatar');
    add('auth', 'auth');
    add('anon', 'anon');
    const trusted = s(args, 'trusted');
    if (trusted) cmd += ` --trusted=${q(trusted)} --as-root`;
    return [cmd];
  },
};

const chacs: MacroDefinition = {
  name: 'chacs',
  description: 'Change the default access (permissions) of a user account (requires root)',
  positionals: [{ name: 'userid', help: 'user ID' }],
  options: [
    { name: 'auth', help: 'new default access for authenticated users' },
    { name: 'anon', help: 'new default access for anonymous users' },
  ],
  expand(args, ctx) {
    const auth = s(args, 'auth');
    const anon = s(args, 'anon');
    if (!auth && !anon) throw new CommandError('chacs: give --auth, --anon or both');
    let set = `.must ${ctx.varname} set me`;
    if (auth) set += ` --auth=${q(auth)}`;
    if (anon) set += ` --anon=${q(anon)}`;
    return asUser(s(args, 'userid')!, ctx, set);
  },
};

const userdel: MacroDefinition = {
  name: 'userdel',
  description: 'Delete a user account (requires root)',
  positionals: [{ name: 'userid', help: 'user ID' }],
  options: [{ name: 'hard', flag: true, help: 'delete completely (hard delete)' }],
  expand(args) {
    return [`del user --user ${q(s(args, 'userid')!)} --as-root${args.hard === true ? ' --hard' : ''}`];
  },
};

const chcred: MacroDefinition = {
  name: 'chcred',
  description: "Add, delete or confirm a user's credential (requires root)",
  positionals: [
    { name: 'userid', help: 'user ID' },
    { name: 'cred', help: 'the credential, method:value (method:value:response for --validate), e.g. email:abc@example.com' },
  ],
  options: [
    { name: 'add', flag: true, help: 'add the credential' },
    { name: 'rm', flag: true, help: 'delete the credential' },
    { name: 'validate', flag: true, help: 'confirm the credential with its response code' },
  ],
  expand(args, ctx) {
    const cred = s(args, 'cred')!;
    const actions = ['add', 'rm', 'validate'].filter((a) => args[a] === true);
    if (actions.length !== 1) throw new CommandError('chcred: give exactly one of --add, --rm, --validate');
    const parts = cred.split(':');
    if (parts.length < 2 || !parts[0] || !parts[1]) throw new CommandError(`chcred: "${cred}" is not method:value`);
    let cmd: string;
    if (actions[0] === 'add') {
      cmd = `.must ${ctx.varname} set me --cred ${q(parts.slice(0, 2).join(':'))}`;
    } else if (actions[0] === 'rm') {
      cmd = `.must ${ctx.varname} del cred --topic me --cred ${q(parts.slice(0, 2).join(':'))}`;
    } else {
      if (!parts[2]) throw new CommandError('chcred --validate: give the credential as method:value:response');
      cmd = `.must ${ctx.varname} set me --cred ${q(parts.slice(0, 3).join(':'))}`;
    }
    return asUser(s(args, 'userid')!, ctx, cmd);
  },
};

const thecard: MacroDefinition = {
  name: 'thecard',
  description: "Print a user's card or credentials (requires root)",
  positionals: [{ name: 'userid', help: 'user ID' }],
  options: [{ name: 'what', choices: ['desc', 'cred'], required: true, help: 'desc: public and private data; cred: the credentials' }],
  expand(args, ctx) {
    return [...asUser(s(args, 'userid')!, ctx, `.must ${ctx.varname} get me --${s(args, 'what')!}`), `.log ${ctx.varname}`];
  },
};

export const BUILTIN_MACROS: readonly MacroDefinition[] = [usermod, resolveMacro, passwd, useradd, chacs, userdel, chcred, thecard];

function isMacro(v: unknown): v is MacroDefinition {
  const m = v as Partial<MacroDefinition> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.name === 'string' &&
    /^[A-Za-z][\w-]*$/.test(m.name) &&
    typeof m.description === 'string' &&
    typeof m.expand === 'function' &&
    (m.positionals === undefined || Array.isArray(m.positionals)) &&
    (m.options === undefined || Array.isArray(m.options))
  );
}

/**
 * Loads macros from an ES module (.js or .mjs) that exports an array of {@link MacroDefinition}
 * as `macros` or as its default export.
 */
export async function loadMacroFile(path: string): Promise<MacroDefinition[]> {
  const abs = isAbsolute(path) ? path : resolve(process.cwd(), path);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new CommandError(`cannot load macros from "${path}": ${(err as Error).message}`);
  }
  const list = mod.macros ?? mod.default;
  if (!Array.isArray(list)) {
    throw new CommandError(`"${path}" exports no macros: export an array of {name, description, positionals, options, expand} as "macros" or as the default`);
  }
  const bad = list.findIndex((m) => !isMacro(m));
  if (bad >= 0) {
    throw new CommandError(`"${path}": macro #${bad + 1} needs a name (letters, digits, - or _), a description and an expand(args, ctx) function`);
  }
  return list as MacroDefinition[];
}
