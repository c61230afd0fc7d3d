import type { Uid } from '../../../src/model/uid.js';
import type { Adapter } from '../contract/adapter.js';
import type { GroupCommit } from './group-commit.js';
import { normalizeRanges } from '../contract/ranges.js';
import type { DelMessage, DelRecord, Message, QueryOpt, Range, SeqMarks } from '../contract/types.js';

/** Messages (`store.messages`) and the log of their deletions. */
export class Messages {
  readonly #a: Adapter;
  readonly #commits: GroupCommit;

  /** `commits` batches the saves with those of other topics (one per store). */
  constructor(adapter: Adapter, commits: GroupCommit) {
    this.#a = adapter;
    this.#commits = commits;
  }

  /** Inserts one message and sets its `id` to the row id; the topic's seq is left alone. */
  save(msg: Message): Promise<void> {
    return this.#a.messageSave(msg);
  }

  /**
   * Saves messages of one topic, advancing the topic's seq and touched time, and sets each
   * message's `id`; settles once they are committed. Messages that several topics save in the
   * same turn of the event loop share one transaction (see {@link GroupCommit}). `markRead` moves
   * senders' read and recv marks to their last message in the same transaction: every sender's
   * with `true`, those it accepts with a function. Read marks leave the subscription's
   * `updatedAt` alone: a contact list asked for changes since a time (`ims`) does not report them.
   * A topic must not save again before its previous save settled.
   */
  saveAll(topic: string, msgs: Message[], markRead: boolean | ((sender: Uid) => boolean) = false): Promise<void> {
    if (msgs.length === 0) {
      return Promise.resolve();
    }
    return this.#commits.add({ topic, msgs, marks: markRead === false ? undefined : lastBySender(msgs, markRead) });
  }

  /** Messages visible to `forUser` (not hard-deleted, not soft-deleted for them), newest first. */
  getAll(topic: string, forUser: Uid, opts?: QueryOpt): Promise<Message[]> {
    return this.#a.messageGetAll(topic, forUser, opts);
  }

  /**
   * Deletes messages: hard (`forUser` zero) or for one user; `delId` 0 (or less) deletes every
   * message of the topic and logs nothing. Otherwise the ranges are logged under `delId`, a hard
   * delete touches only messages younger than `msgDelAgeMs` when it is positive, and the delete id is
   * recorded on the topic and on the subscription(s) concerned (their `updatedAt` stays: a deletion
   * is not a change of the subscription a contact list reports).
   */
  async delete(topic: string, delId: number, forUser: Uid, msgDelAgeMs: number, ranges: Range[]): Promise<void> {
    if (delId <= 0) {
      await this.#a.messageDeleteList(topic, null);
      return;
    }
    const toDel: DelMessage = { topic, deletedFor: forUser, delId, ranges };
    if (forUser === 0n && msgDelAgeMs > 0) {
      toDel.newerThan = new Date(Date.now() - msgDelAgeMs);
    }
    await this.#a.messageDeleteList(topic, toDel);
    await this.#a.topicUpdate(topic, { delId });
    await this.#a.subsUpdate(topic, forUser, { delId });
  }

  /**
   * Deletes messages as the adapter does, without the delete id bookkeeping of {@link delete}:
   * `null` deletes every message of the topic; a soft delete logs the ranges for the user; a hard
   * delete clears the messages still present and logs the ranges actually deleted.
   */
  deleteList(topic: string, toDel: DelMessage | null): Promise<void> {
    return this.#a.messageDeleteList(topic, toDel);
  }

  /** Delete operations with ids in [since, before) visible to `forUser` (hard ones and their own). */
  getDeleted(topic: string, forUser: Uid, opts?: QueryOpt): Promise<DelRecord[]> {
    return this.#a.messageGetDeleted(topic, forUser, opts);
  }

  /** The deleted ranges visible to the user ({@link getDeleted}), merged, and the largest delete id among them (0 if none). */
  async getDeletedRanges(topic: string, forUser: Uid, opts?: QueryOpt): Promise<{ ranges: Range[]; maxDelId: number }> {
    const recs = await this.#a.messageGetDeleted(topic, forUser, opts);
    let maxDelId = 0;
    const all: Range[] = [];
    for (const r of recs) {
      maxDelId = Math.max(maxDelId, r.delId);
      all.push(...r.ranges);
    }
    return { ranges: normalizeRanges(all), maxDelId };
  }
}

/** Each sender's last seq in `msgs`, for the senders `accept` takes (all with `true`). */
function lastBySender(msgs: readonly Message[], accept: true | ((sender: Uid) => boolean)): Map<Uid, SeqMarks> {
  const last = new Map<Uid, SeqMarks>();
  for (const m of msgs) {
    if (m.from !== 0n && (accept === true || accept(m.from))) {
      const seq = Math.max(last.get(m.from)?.recvSeqId ?? 0, m.seqId);
      last.set(m.from, { recvSeqId: seq, readSeqId: seq });
    }
  }
  return last;
}
