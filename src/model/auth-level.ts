/** Authentication levels, with Tinode's numeric values (stored in `auth.authlvl`) and names. */
export const AuthLevel = {
  NONE: 0,
  ANON: 10,
  AUTH: 20,
  ROOT: 30,
} as const;

export type AuthLevel = (typeof AuthLevel)[keyof typeof AuthLevel];

/** `anon`, `auth`, `root`, or '' for none. */
export function authLevelName(level: AuthLevel): string {
  switch (level) {
    case AuthLevel.ANON:
      return 'anon';
    case AuthLevel.AUTH:
      return 'auth';
    case AuthLevel.ROOT:
      return 'root';
    default:
      return '';
  }
}

/** Parses `anon`, `auth`, `root` (lower or upper case); NONE for anything else. */
export function parseAuthLevel(name: string): AuthLevel {
  switch (name) {
    case 'anon':
    case 'ANON':
      return AuthLevel.ANON;
    case 'auth':
    case 'AUTH':
      return AuthLevel.AUTH;
    case 'root':
    case 'ROOT':
      return AuthLevel.ROOT;
    default:
      return AuthLevel.NONE;
  }
}

/** Narrows a number read from storage into a level; unknown values become NONE. */
export function toAuthLevel(n: number): AuthLevel {
  return n === 10 || n === 20 || n === 30 ? n : AuthLevel.NONE;
}
