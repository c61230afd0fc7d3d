import { parseUid, uidToString, type Uid } from '../../src/model/uid.js';
import type { Logger } from '../log/log.js';
import type { Store } from '../store/store.js';

/** Where uploaded files are served from (the reference's media `serve_url`). */
export const FILE_SERVE_PATH = '/v0/file/s/';

/**
 * The file id in an attachment reference: a bare id, or the file download path
 * (`/v0/file/s/<id>.<ext>`). Null for anything else, including URLs of other servers.
 */
export function fileIdFromUrl(ref: string): Uid | null {
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('//')) {
    return null;
  }
  let path = ref;
  try {
    path = new URL(ref, 'http://localhost').pathname;
  } catch {
    return null;
  }
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  if (dir !== '' && dir !== '/' && dir !== FILE_SERVE_PATH) {
    return null;
  }
  const name = path.slice(slash + 1).split('.')[0] ?? '';
  try {
    const id = parseUid(name);
    return id === 0n ? null : id;
  } catch {
    return null;
  }
}

/**
 * The file id in a `public` value's `photo.ref` (`{photo: {ref: "/v0/file/s/<id>.png"}}`), or
 * null when the value has no such reference (an inline photo, none, another server's URL).
 */
export function photoRefId(pub: unknown): Uid | null {
  if (typeof pub !== 'object' || pub === null) return null;
  const photo = (pub as { photo?: unknown }).photo;
  if (typeof photo !== 'object' || photo === null) return null;
  const ref = (photo as { ref?: unknown }).ref;
  return typeof ref === 'string' ? fileIdFromUrl(ref) : null;
}

/** Links an uploaded avatar to a user (the previous one becomes unused and is collected). */
export async function linkUserAvatar(ctx: { readonly store: Store; readonly log: Logger }, uid: Uid, attachments: readonly string[] | undefined): Promise<void> {
  const fids = (attachments ?? []).map(fileIdFromUrl).filter((f): f is Uid => f !== null);
  if (fids.length === 0) return;
  await ctx.store.files.linkAttachments('', uid, 0, fids).catch((err: unknown) => ctx.log.warn(`avatar of ${String(uid)}: ${(err as Error).message}`));
}

/** Links an uploaded avatar to a topic (`grp…`); the previous one becomes unused and is collected. */
export async function linkTopicAvatar(ctx: { readonly store: Store; readonly log: Logger }, topic: string, attachments: readonly string[] | undefined): Promise<void> {
  const fids = (attachments ?? []).map(fileIdFromUrl).filter((f): f is Uid => f !== null);
  if (fids.length === 0) return;
  await ctx.store.files.linkAttachments(topic, 0n, 0, fids).catch((err: unknown) => ctx.log.warn(`avatar of ${topic}: ${(err as Error).message}`));
}

/**
 * Links the avatar of a group being created: the `{sub}`'s attachments, or else the file its
 * `public.photo.ref` names, as TinodeWeb creates groups without attachments. The latter only when
 * `creator` uploaded that file: naming a file one can read must not make it an avatar (public).
 */
export async function linkNewTopicAvatar(
  ctx: { readonly store: Store; readonly log: Logger },
  topic: string,
  creator: Uid,
  pub: unknown,
  attachments: readonly string[] | undefined,
): Promise<void> {
  if (attachments && attachments.length > 0) {
    await linkTopicAvatar(ctx, topic, attachments);
    return;
  }
  const fid = photoRefId(pub);
  if (fid === null) return;
  const fd = await ctx.store.files.get(fid).catch(() => null);
  if (fd?.user === creator) {
    await linkTopicAvatar(ctx, topic, [uidToString(fid)]);
  }
}
