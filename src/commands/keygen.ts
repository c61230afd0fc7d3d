import type { Command } from 'commander';
import { checkApiKey, decodeSalt, generateSalt, makeApiKey } from '../model/apikey.js';
import { loadConfig } from '../config/load.js';
import { createOutput } from '../term/output.js';
import { CommandFailure, EXIT_USAGE } from './exit.js';

interface KeygenOptions {
  sequence: string;
  isroot?: boolean;
  salt?: string;
  validate?: string;
  config?: string;
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

/** `tinode keygen`: makes an API key (and a salt) or checks one, like the reference `keygen`. */
export function keygenCommand(program: Command): void {
  program
    .command('keygen')
    .description('make a new API key and HMAC salt, or check an API key against a salt')
    .option('--sequence <n>', 'serial number of the key', '1')
    .option('--isroot', 'make a root key (lets root clients act on behalf of others)')
    .option('--salt <base64>', 'sign with this salt (32 bytes, base64) instead of a new random one; with --validate: check against it')
    .option('--validate <key>', 'check this API key instead of making one (against --salt, or the config\'s api_key_salt)')
    .option('--config <file>', 'read api_key_salt from this tinode.conf when validating without --salt')
    .addHelpText(
      'after',
      `
Examples:
  tinode keygen                         new salt and key: put the salt in tinode.conf as api_key_salt
  tinode keygen --salt "$SALT" --sequence 2
  tinode keygen --validate AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K   checks the demo key against the default salt
`,
    )
    .action((opts: KeygenOptions) => {
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
