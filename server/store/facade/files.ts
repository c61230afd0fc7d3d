import type { Uid } from '../../../src/model/uid.js';
import type { Adapter } from '../contract/adapter.js';
import type { AvatarOwners, FileDef } from '../contract/types.js';

/** Records of uploaded files (`store.files`) and their links to messages, topics and users. */
export class Files {
  readonly #a: Adapter;

  constructor(adapter: Adapter) {
    this.#a = adapter;
  }

  /** Records the start of an upload. */
  startUpload(fd: FileDef): Promise<void> {
    return this.#a.fileStartUpload(fd);
  }

  /** Completes an upload (size, etag, location) or, when not `success`, drops its record. */
  finishUpload(fd: FileDef, success: boolean, size: number): Promise<FileDef> {
    return this.#a.fileFinishUpload(fd, success, size);
  }

  /** A file record, or null. */
  get(fid: Uid): Promise<FileDef | null> {
    return this.#a.fileGet(fid);
  }

  /** Deletes up to `limit` records nobody links to (updated before `olderThan`); returns their locations. */
  deleteUnused(olderThan: Date | null, limit: number): Promise<string[]> {
    return this.#a.fileDeleteUnused(olderThan, limit);
  }

  /**
   * Links files to a message (by row id), or else to a topic or user (avatar: one file, replacing
   * the previous link). `malformed` when there is nothing to link to.
   */
  linkAttachments(topic: string, userId: Uid, msgId: number, fids: Uid[]): Promise<void> {
    return this.#a.fileLinkAttachments(topic, userId, msgId, fids);
  }

  /** The users and topics that link `fid` as their avatar (empty lists when none). */
  avatarOwners(fid: Uid): Promise<AvatarOwners> {
    return this.#a.fileAvatarOwners(fid);
  }
}
