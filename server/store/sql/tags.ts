import { StoreError } from '../contract/errors.js';
import type { Ctx } from './context.js';

/** The tag index tables: `usertags` keyed by user id, `topictags` keyed by topic name. */
export type TagTable = { table: 'usertags'; key: 'userid' } | { table: 'topictags'; key: 'topic' };

export const USER_TAGS: TagTable = { table: 'usertags', key: 'userid' };
export const TOPIC_TAGS: TagTable = { table: 'topictags', key: 'topic' };

/** Indexes tags; a tag already held by this owner is skipped with `ignoreDups`, else `duplicate`. */
export async function addTags(ctx: Ctx, t: TagTable, keyVal: string, tags: string[], ignoreDups: boolean): Promise<void> {
  const unique = [...new Set(tags)];
  if (unique.length === 0) {
    return;
  }
  const rows = unique.map((tag) => ({ [t.key]: keyVal, tag }));
  if (ignoreDups) {
    await ctx.db(t.table).insert(rows).onConflict([t.key, 'tag']).ignore();
    return;
  }
  try {
    await ctx.db(t.table).insert(rows);
  } catch (err) {
    if (ctx.d.isDuplicate(err)) {
      throw new StoreError('duplicate', 'duplicate tag');
    }
    throw err;
  }
}

export async function removeTags(ctx: Ctx, t: TagTable, keyVal: string, tags: string[]): Promise<void> {
  if (tags.length > 0) {
    await ctx.db(t.table).where(t.key, keyVal).whereIn('tag', tags).del();
  }
}

/** Replaces the indexed tags of an owner. */
export async function replaceTags(ctx: Ctx, t: TagTable, keyVal: string, tags: string[]): Promise<void> {
  await ctx.db(t.table).where(t.key, keyVal).del();
  await addTags(ctx, t, keyVal, tags, false);
}
