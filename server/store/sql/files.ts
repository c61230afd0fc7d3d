import type { Uid } from '../../../src/model/uid.js';
import { StoreError } from '../contract/errors.js';
import { UploadStatus, type AvatarOwners, type FileDef } from '../contract/types.js';
import { fileFromRow, idFromDb } from './codec.js';
import { inTx, sqlId, type Ctx } from './context.js';
import { decodeBigint, encodeTime } from './dialect.js';

/** Records of uploaded files and their links to messages, topics (avatars) and users (avatars). */

export async function fileStartUpload(ctx: Ctx, fd: FileDef): Promise<void> {
  await ctx.db('fileuploads').insert({
    id: sqlId(ctx, fd.id),
    createdat: encodeTime(fd.createdAt),
    updatedat: encodeTime(fd.updatedAt),
    userid: fd.user === 0n ? 0 : sqlId(ctx, fd.user),
    status: fd.status,
    mimetype: fd.mimeType,
    size: fd.size,
    etag: fd.etag,
    location: fd.location,
  });
}

export async function fileFinishUpload(ctx: Ctx, fd: FileDef, success: boolean, size: number): Promise<FileDef> {
  const now = new Date();
  if (success) {
    await ctx
      .db('fileuploads')
      .where('id', sqlId(ctx, fd.id))
      .update({ updatedat: encodeTime(now), status: UploadStatus.COMPLETED, size, etag: fd.etag, location: fd.location });
    return { ...fd, status: UploadStatus.COMPLETED, size, updatedAt: now };
  }
  // A failed upload's record is of no use.
  await ctx.db('fileuploads').where('id', sqlId(ctx, fd.id)).del();
  return { ...fd, status: UploadStatus.FAILED, size: 0, updatedAt: now };
}

export async function fileGet(ctx: Ctx, fid: Uid): Promise<FileDef | null> {
  if (fid === 0n) {
    throw new StoreError('malformed', 'invalid file id');
  }
  const row = await ctx.db('fileuploads').where('id', sqlId(ctx, fid)).first();
  return row ? fileFromRow(ctx, row as Record<string, unknown>) : null;
}

export async function fileDeleteUnused(ctx: Ctx, olderThan: Date | null, limit: number): Promise<string[]> {
  return inTx(ctx, async (tx) => {
    const q = tx
      .db('fileuploads AS fu')
      .select('fu.id', 'fu.location')
      .leftJoin('filemsglinks AS fml', 'fml.fileid', 'fu.id')
      .whereNull('fml.id');
    if (olderThan) {
      q.where('fu.updatedat', '<', encodeTime(olderThan));
    }
    if (limit > 0) {
      q.limit(limit);
    }
    const rows = (await q) as { id: unknown; location: unknown }[];
    if (rows.length === 0) {
      return [];
    }
    await tx.db('fileuploads').whereIn(
      'id',
      rows.map((r) => tx.d.bigint(decodeBigint(r.id))),
    ).del();
    return rows.map((r) => String(r.location ?? '')).filter((l) => l !== '');
  });
}

export async function fileLinkAttachments(ctx: Ctx, topic: string, userId: Uid, msgId: number, fids: Uid[]): Promise<void> {
  if (fids.length === 0 || (topic === '' && msgId === 0 && userId === 0n) || fids.some((f) => f === 0n)) {
    throw new StoreError('malformed', 'nothing to link');
  }
  let linkBy: 'msgid' | 'topic' | 'userid';
  let linkId: string | number;
  let files = fids;
  if (msgId !== 0) {
    linkBy = 'msgid';
    linkId = msgId;
  } else if (topic !== '') {
    linkBy = 'topic';
    linkId = topic;
    // One avatar per topic.
    files = fids.slice(0, 1);
  } else {
    linkBy = 'userid';
    linkId = sqlId(ctx, userId);
    files = fids.slice(0, 1);
  }
  const now = encodeTime(new Date());
  await inTx(ctx, async (tx) => {
    if (linkBy !== 'msgid') {
      // The previous avatar becomes unused and will be collected.
      await tx.db('filemsglinks').where(linkBy, linkId).del();
    }
    await tx.db('filemsglinks').insert(files.map((f) => ({ createdat: now, fileid: sqlId(tx, f), [linkBy]: linkId })));
  });
}

export async function fileAvatarOwners(ctx: Ctx, fid: Uid): Promise<AvatarOwners> {
  if (fid === 0n) {
    return { users: [], topics: [] };
  }
  // Avatar links are the ones without a message; the same query on every dialect.
  const rows = (await ctx
    .db('filemsglinks')
    .select('userid', 'topic')
    .where('fileid', sqlId(ctx, fid))
    .whereNull('msgid')) as { userid: unknown; topic: unknown }[];
  const out: AvatarOwners = { users: [], topics: [] };
  for (const r of rows) {
    if (r.userid !== null && r.userid !== undefined) out.users.push(idFromDb(ctx, r.userid));
    else if (typeof r.topic === 'string' && r.topic !== '') out.topics.push(r.topic);
  }
  return out;
}
