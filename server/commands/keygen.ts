import type { Command } from 'commander';
import { checkApiKey, decodeSalt, generateSalt, makeApiKey } from '../../src/model/apikey.js';
import { loadConfig } from '../../src/config/load.js';
import { newTokenKey, newUidKey } from '../../src/model/secret-keys.js';
import { createOutput } from '../../src/term/output.js';
import { CommandFailure, EXIT_USAGE } from '../../src/term/exit.js';

interface KeygenOptions {
  sequence: string;
  isroot?: boolean;
  salt?: string;
  validate?: string;
  config?: string;
  tokenKey?: boolean;
  uidKey?: boolean;
}

function saltOf(opts: KeygenOptions): { salt: Buffer; text: string; from: string } {
  let text: string;
  let from: string;
  if (opts.salt) {
    text = opts.salt;
    from = '--salt';
  } else {
    const { config, source } = loadConfig(opts.config);
    text = config.api_key_salt;
    from = opts.config ? `api_key_salt of ${source}` : 'the default api_key_salt (the public demo salt)';
  }
  try {
    return { salt: decodeSalt(text), text, from };
  } catch {
    throw new CommandFailure(`the salt from ${from} is not base64: give 32 random bytes in base64`, EXIT_USAGE);
  }
}

/** Prints the server keys asked for with --token-key and --uid-key, ready to paste into tinode.conf. */
function printServerKeys(opts: KeygenOptions): void {
  if (opts.validate !== undefined || opts.salt !== undefined || opts.isroot) {
    throw new CommandFailure('--token-key and --uid-key make server keys only: leave out --validate, --salt and --isroot', EXIT_USAGE);
  }
  const out = createOutput();
  if (opts.tokenKey) {
    out.result(`auth_config.token.key: ${newTokenKey()}`);
  }
  if (opts.uidKey) {
    out.result(`store_config.uid_key: ${newUidKey()}`);
  }
}

/**
 * `tinode keygen`: makes an API key (and a salt) or checks one, like the reference `keygen`; with
 * --token-key or --uid-key, makes the server's secret keys instead.
 */
export function keygenCommand(program: Command): void {
  program
    .command('keygen')
    .description('make a new API key and HMAC salt, check an API key against a salt, or make a token key or uid key')
    .option('--sequence <n>', 'serial number of the key', '1')
    .option('--isroot', 'make a root key (lets root clients act on behalf of others)')
    .option('--salt <base64>', 'sign with this salt (32 bytes, base64) instead of a new random one; with --validate: check against it')
    .option('--validate <key>', 'check this API key instead of making one (against --salt, or the config\'s api_key_salt)')
    .option('--config <file>', 'read api_key_salt from this tinode.conf when validating without --salt')
    .option('--token-key', 'make a random auth_config.token.key (32 bytes, base64) instead of an API key')
    .option('--uid-key', 'make a random store_config.uid_key (16 bytes, base64) instead of an API key')
    .addHelpText(
      'after',
      `
Examples:
  tinode keygen                         new salt and key: put the salt in tinode.conf as api_key_salt
  tinode keygen --salt "$SALT" --sequence 2
  tinode keygen --validate AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K   checks the demo key against the default salt
  tinode keygen --token-key --uid-key   keys for tinode.conf, for servers that keep their keys in the config

Without auth_config.token.key and store_config.uid_key in tinode.conf, each database has random
keys of its own (made with it, kept in it). A uid_key must stay the one the database's ids were
made with: give one only to a new database, or the one an existing database already uses.
`,
    )
    .action((opts: KeygenOptions) => {
      if (opts.tokenKey || opts.uidKey) {
        printServerKeys(opts);
        return;
      }
      const out = createOutput();
      const sequence = Number(opts.sequence);
      if (!Number.isInteger(sequence) || sequence < 0 || sequence > 65535) {
        throw new CommandFailure(`--sequence must be an integer from 0 to 65535, got "${opts.sequence}"`, EXIT_USAGE);
      }
      if (opts.validate !== undefined) {
        const { salt, from } = saltOf(opts);
        const info = checkApiKey(opts.validate, salt);
        if (!info) {
          throw new CommandFailure(`the key is not valid for ${from}`);
        }
        out.result(`Valid v${info.version} seq${info.sequence} [${info.isRoot ? 'ROOT' : 'ordinary'}] (checked against ${from})`);
        return;
      }
      const text = opts.salt ?? generateSalt();
      let salt: Buffer;
      try {
        salt = decodeSalt(text);
      } catch {
        throw new CommandFailure('--salt is not base64: give 32 random bytes in base64, or leave it out for a new one', EXIT_USAGE);
      }
      const key = makeApiKey(salt, sequence, opts.isroot === true);
      out.result(`API key v1 seq${sequence} [${opts.isroot ? 'ROOT' : 'ordinary'}]: ${key}`);
      out.result(`HMAC salt: ${salt.toString('base64')}`);
    });
}
