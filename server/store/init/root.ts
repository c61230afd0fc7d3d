import { MODE_CAUTH, MODE_NONE } from '../../../src/model/access.js';
import { AuthLevel } from '../../../src/model/auth-level.js';
import { parseUserId, userId, type Uid } from '../../../src/model/uid.js';
import { hashPassword } from '../../../src/model/password.js';
import { StoreError } from '../contract/errors.js';
import type { Store } from '../store.js';
import { ObjState } from '../contract/types.js';
import { randomPassword } from './loader.js';

/** Root accounts: create a new one, or promote an existing user. */

/** Login rules of the `basic` scheme: starts and ends with a letter or digit; letters, digits, `.` and `_` between. */
export const LOGIN_PATTERN = /^[\p{L}\p{N}][_.\p{L}\p{N}]*[\p{L}\p{N}]+$/u;

/**
 * Creates a user with root access and a `basic` login. Without a password, a strong one is
 * generated. Returns the new user's id and the password.
 */
export async function addRoot(store: Store, spec: string): Promise<{ id: string; login: string; password: string; generated: boolean }> {
  const at = spec.indexOf(':');
  const login = (at < 0 ? spec : spec.slice(0, at)).toLowerCase();
  const given = at < 0 ? '' : spec.slice(at + 1);
  if ([...login].length < 3 || [...login].length > 32 || !LOGIN_PATTERN.test(login)) {
    throw new StoreError('policy', `"${login}" is not a valid login: use 3 to 32 letters, digits, "." or "_", starting and ending with a letter or digit`);
  }
  if (await store.auth.getUniqueRecord('basic', login)) {
    throw new StoreError('duplicate', `the login "${login}" is taken`);
  }
  const password = given || randomPassword(16);
  const user = await store.users.create({
    state: ObjState.OK,
    stateAt: null,
    access: { auth: MODE_CAUTH, anon: MODE_NONE },
    lastSeen: null,
    userAgent: '',
    public: { fn: `ROOT ${login}` },
    trusted: null,
    tags: [`basic:${login}`],
  });
  try {
    await store.auth.addRecord(user.id, AuthLevel.ROOT, 'basic', login, await hashPassword(password), null);
  } catch (err) {
    await store.users.delete(user.id, true);
    throw err;
  }
  return { id: userId(user.id), login, password, generated: !given };
}

/** Gives an existing user's `basic` login root access. */
export async function makeRoot(store: Store, id: string): Promise<Uid> {
  const uid = parseUserId(id);
  if (uid === 0n) {
    throw new StoreError('malformed', `"${id}" is not a user id: expected the form usrAbCDef123`);
  }
  if (!(await store.users.get(uid))) {
    throw new StoreError('user-not-found', `no user ${id}`);
  }
  await store.auth.updateRecord(uid, AuthLevel.ROOT, 'basic', '', null, null);
  return uid;
}
