/**
 * A configuration problem: which key, what is wrong, what is expected. Commands print it and exit
 * with code 2 (a usage error), so a person can fix the file or the flag and try again.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  /**
   * @param key dotted path of the key (`store_config.uid_key`), or the flag (`--db`).
   * @param problem what is wrong with the value given.
   * @param expected what would be accepted.
   */
  constructor(
    readonly key: string,
    readonly problem: string,
    readonly expected: string,
  ) {
    super(`config error at "${key}": ${problem}; expected ${expected}`);
  }
}
