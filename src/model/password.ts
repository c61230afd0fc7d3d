import bcrypt from 'bcrypt';

/**
 * Password hashes as the reference server stores them: bcrypt, cost 10, in the `$2a$` form
 * that Go's bcrypt writes (the algorithm is the same as `$2b$` for passwords under 72 bytes).
 */

/** bcrypt's cost: Go's `bcrypt.DefaultCost`. */
export const BCRYPT_COST = 10;

/** Hashes a password; runs on libuv's thread pool, not on the event loop. */
export async function hashPassword(password: string, cost = BCRYPT_COST): Promise<Buffer> {
  const hash = await bcrypt.hash(password, cost);
  return Buffer.from(hash.replace(/^\$2b\$/, '$2a$'), 'utf8');
}

/** Whether a password matches a stored hash (`$2a$`, `$2b$` or `$2y$`). */
export async function verifyPassword(password: string, hash: Buffer): Promise<boolean> {
  const text = hash.toString('utf8');
  if (!/^\$2[aby]\$\d\d\$/.test(text)) {
    return false;
  }
  return bcrypt.compare(password, text.replace(/^\$2[ay]\$/, '$2b$'));
}
