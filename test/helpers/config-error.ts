import { ConfigError } from '../../src/config/errors.js';

/** The {@link ConfigError} `fn` throws; fails when it throws something else or nothing. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
