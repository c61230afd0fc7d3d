import { parseUid, type Uid } from '../../src/model/uid.js';

/** Where uploaded files are served from (the reference's media `serve_url`). */
export const FILE_SERVE_PATH = '/v0/file/s/';

/**
 * The file id in an attachment reference: a bare id, or a URL of the file download path
 * (`/v0/file/s/<id>.<ext>`, with or without scheme and host). Null when it is neither.
 */
export function fileIdFromUrl(ref: string): Uid | null {
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
