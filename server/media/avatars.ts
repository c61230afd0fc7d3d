import type { Uid } from '../../src/model/uid.js';
import { ObjState, type AvatarOwners } from '../store/types.js';
import { photoRefId } from './attachments.js';

/** A user or topic record as far as its avatar goes. */
export interface AvatarHolder {
  readonly state: ObjState;
  readonly public: unknown;
}

/**
 * What {@link PublicAvatars} reads from the store: the store adapter fits as it is
 * (`fileAvatarOwners`, `userGet`, `topicGet`).
 */
export interface AvatarLookup {
  fileAvatarOwners(fid: Uid): Promise<AvatarOwners>;
  userGet(uid: Uid): Promise<AvatarHolder | null>;
  topicGet(name: string): Promise<AvatarHolder | null>;
}

/**
 * Decides which uploaded files are public avatars: files as public as the `public` field that
 * points to them, which anyone with the API key may read without a user's credentials.
 *
 * A file is a public avatar when it is linked as the avatar of a user or a topic AND that
 * owner, not deleted, names it in its current `public.photo.ref`. A replaced avatar (its link
 * is gone, or the owner's `public` points elsewhere) and a file merely linked without being
 * named stop being public; every other file keeps needing credentials.
 */
export class PublicAvatars {
  constructor(private readonly lookup: AvatarLookup) {}

  /** True when `fid` is the current avatar of a live user or topic. Store errors reject. */
  async isPublic(fid: Uid): Promise<boolean> {
    const owners = await this.lookup.fileAvatarOwners(fid);
    for (const uid of owners.users) {
      if (names(await this.lookup.userGet(uid), fid)) return true;
    }
    for (const topic of owners.topics) {
      if (names(await this.lookup.topicGet(topic), fid)) return true;
    }
    return false;
  }
}

function names(holder: AvatarHolder | null, fid: Uid): boolean {
  return holder !== null && holder.state !== ObjState.DELETED && photoRefId(holder.public) === fid;
}
