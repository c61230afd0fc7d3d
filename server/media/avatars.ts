import type { Uid } from '../../src/model/uid.js';
import type { Store } from '../store/store.js';
import { ObjState, type AvatarOwners } from '../store/contract/types.js';
import { photoRefId } from './attachments.js';

/** A user or topic record as far as its avatar goes. */
export interface AvatarHolder {
  readonly state: ObjState;
  readonly public: unknown;
}

/**
 * What {@link PublicAvatars} reads from the store; {@link storeAvatarLookup} makes one from the
 * store facade, unit tests give their own.
 */
export interface AvatarLookup {
  fileAvatarOwners(fid: Uid): Promise<AvatarOwners>;
  fileGet(fid: Uid): Promise<{ readonly user: Uid } | null>;
  userGet(uid: Uid): Promise<AvatarHolder | null>;
  topicGet(name: string): Promise<(AvatarHolder & { readonly owner: Uid }) | null>;
}

/** The avatar lookups of {@link PublicAvatars} over the store facade. */
export function storeAvatarLookup(store: Store): AvatarLookup {
  return {
    fileAvatarOwners: (fid) => store.files.avatarOwners(fid),
    fileGet: (fid) => store.files.get(fid),
    userGet: (uid) => store.users.get(uid),
    topicGet: (name) => store.topics.get(name),
  };
}

/**
 * Decides which uploaded files are public avatars: files as public as the `public` field that
 * points to them, which anyone with the API key may read without a user's credentials.
 *
 * A file is a public avatar when it is linked as the avatar of a user or a topic, that owner
 * (not deleted) names it in its current `public.photo.ref`, and the file was uploaded by that
 * user, or by the topic's owner (the one who may set a group's `public`). A replaced avatar (its
 * link is gone, or `public` points elsewhere), a file merely linked without being named, and a
 * file someone else uploaded (naming a file one can read must not publish it) are not public;
 * every other file keeps needing credentials.
 */
export class PublicAvatars {
  constructor(private readonly lookup: AvatarLookup) {}

  /** True when `fid` is the current avatar of a live user or topic. Store errors reject. */
  async isPublic(fid: Uid): Promise<boolean> {
    const owners = await this.lookup.fileAvatarOwners(fid);
    if (owners.users.length === 0 && owners.topics.length === 0) return false;
    const uploader = (await this.lookup.fileGet(fid))?.user ?? 0n;
    if (uploader === 0n) return false;
    if (owners.users.includes(uploader) && names(await this.lookup.userGet(uploader), fid)) return true;
    for (const name of owners.topics) {
      const topic = await this.lookup.topicGet(name);
      if (topic?.owner === uploader && names(topic, fid)) return true;
    }
    return false;
  }
}

function names(holder: AvatarHolder | null, fid: Uid): boolean {
  return holder !== null && holder.state !== ObjState.DELETED && photoRefId(holder.public) === fid;
}
