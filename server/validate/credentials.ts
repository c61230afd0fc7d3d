import type { AuthLevel } from '../../src/model/auth-level.js';
import type { Uid } from '../../src/model/uid.js';
import type { CredClient } from '../../src/wire/client-messages.js';
import type { Logger } from '../log/log.js';
import type { Store } from '../store/store.js';
import type { CredValidator } from './validator.js';
import { isStoreError, StoreError } from '../store/contract/errors.js';


/** What credential handling needs: the store, the validators and which methods each level requires. */
export interface CredentialEnv {
  readonly store: Store;
  readonly log: Logger;
  readonly validators: ReadonlyMap<string, { validator: CredValidator; addToTags: boolean }>;
  readonly requiredCreds: ReadonlyMap<AuthLevel, readonly string[]>;
}

/**
 * Credentials of accounts (the reference's user.go): requesting validation, checking responses,
 * deleting, and which required methods a user still lacks.
 */

/** Keeps the credentials of known methods, one per method (the last), with a value when required. */
export function normalizeCredentials(ctx: CredentialEnv, creds: CredClient[] | undefined, valueRequired: boolean): CredClient[] {
  const byMethod = new Map<string, CredClient>();
  for (const c of creds ?? []) {
    if (c.meth && ctx.validators.has(c.meth) && (!valueRequired || c.val)) {
      byMethod.set(c.meth, c);
    }
  }
  return [...byMethod.values()];
}

/** Methods required at `level` that are not in `have`. */
export function missingCreds(ctx: CredentialEnv, level: AuthLevel, have: readonly string[]): string[] {
  return (ctx.requiredCreds.get(level) ?? []).filter((m) => !have.includes(m));
}

/**
 * Requests validation of credentials (sending codes). Returns the methods validated on the spot
 * (a response came with the value) and the user's tags after adding the validated ones.
 */
export async function addCreds(
  ctx: CredentialEnv,
  uid: Uid,
  creds: CredClient[],
  extraTags: string[],
  lang: string,
  tmpToken: Buffer,
): Promise<{ validated: string[]; tags: string[] | null }> {
  const validated: string[] = [];
  const tags = [...extraTags];
  for (const c of creds) {
    const v = c.meth ? ctx.validators.get(c.meth) : undefined;
    if (!v || !c.meth) {
      continue;
    }
    const isNew = await v.validator.request(uid, c.val ?? '', lang, c.resp ?? '', tmpToken);
    if (isNew && c.resp) {
      validated.push(c.meth);
      if (v.addToTags) {
        tags.push(`${c.meth}:${c.val ?? ''}`);
      }
    }
  }
  if (tags.length === 0) {
    return { validated, tags: null };
  }
  try {
    return { validated, tags: await ctx.store.users.updateTags(uid, tags, [], null) };
  } catch (err) {
    ctx.log.warn(`add credential tags: ${String(err)}`);
    return { validated, tags: null };
  }
}

/**
 * Checks the responses to credential challenges. Returns the user's validated methods (all of
 * them) and the tags after adding newly validated values. With `errorOnFail`, a wrong response
 * throws `invalid-response`; otherwise it is skipped.
 */
export async function validatedCreds(
  ctx: CredentialEnv,
  uid: Uid,
  level: AuthLevel,
  creds: CredClient[] | undefined,
  errorOnFail: boolean,
): Promise<{ validated: string[]; tags: string[] | null }> {
  if ((ctx.requiredCreds.get(level) ?? []).length === 0 && !errorOnFail) {
    return { validated: [], tags: null };
  }
  const methods = new Set((await ctx.store.creds.getAll(uid, '', true)).map((c) => c.method));
  const toTag: string[] = [];
  for (const c of normalizeCredentials(ctx, creds, false)) {
    if (!c.resp || !c.meth) {
      continue;
    }
    const v = ctx.validators.get(c.meth)!;
    let value: string;
    try {
      value = await v.validator.check(uid, c.resp);
    } catch (err) {
      if (isStoreError(err, 'credentials')) {
        if (errorOnFail) {
          throw new StoreError('invalid-response');
        }
        continue;
      }
      throw err;
    }
    methods.add(c.meth);
    if (v.addToTags) {
      toTag.push(`${c.meth}:${value}`);
    }
  }
  let tags: string[] | null = null;
  if (toTag.length > 0) {
    try {
      tags = await ctx.store.users.updateTags(uid, toTag, [], null);
    } catch (err) {
      ctx.log.warn(`validated credential tags: ${String(err)}`);
    }
  }
  return { validated: [...methods], tags };
}

/**
 * Deletes a credential. A required method keeps at least one validated value: deleting the last
 * one is a policy violation. Returns the user's tags after removing the credential's tag, or null
 * when nothing changed.
 */
export async function deleteCred(ctx: CredentialEnv, uid: Uid, level: AuthLevel, cred: CredClient): Promise<string[] | null> {
  const v = cred.meth ? ctx.validators.get(cred.meth) : undefined;
  if (!v || !cred.meth || !cred.val) {
    throw new StoreError('malformed');
  }
  if ((ctx.requiredCreds.get(level) ?? []).includes(cred.meth)) {
    const all = await ctx.store.creds.getAll(uid, cred.meth, false);
    const ok = all.some((c) => (c.done && c.value !== cred.val) || (!c.done && c.value === cred.val));
    if (!ok) {
      throw new StoreError('policy');
    }
  }
  try {
    await v.validator.remove(uid, cred.val);
  } catch (err) {
    if (isStoreError(err, 'not-found')) {
      return null;
    }
    throw err;
  }
  if (!v.addToTags) {
    return null;
  }
  try {
    return await ctx.store.users.updateTags(uid, [], [`${cred.meth}:${cred.val}`], null);
  } catch (err) {
    ctx.log.warn(`delete credential tags: ${String(err)}`);
    return null;
  }
}
