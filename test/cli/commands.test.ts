import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { runTinode } from '../helpers/cli.js';

describe('tinode', () => {
  it('lists its commands and prints its version', async () => {
    const help = await runTinode(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/init-db/);
    expect(help.stdout).toMatch(/keygen/);
    const version = await runTinode(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('has --help on every command', async () => {
    for (const cmd of ['init-db', 'keygen']) {
      const r = await runTinode([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: tinode ${cmd}`));
    }
  });

  it('exits 2 on usage errors, naming the problem', async () => {
    const unknownCmd = await runTinode(['frobnicate']);
    expect(unknownCmd.code).toBe(2);
    expect(unknownCmd.stderr).toMatch(/unknown command 'frobnicate'/);
    const unknownOpt = await runTinode(['init-db', '--frob']);
    expect(unknownOpt.code).toBe(2);
    expect(unknownOpt.stderr).toMatch(/unknown option '--frob'/);
  });

  it('exits 2 on a bad config, naming the key and what is expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinode-cli-'));
    const conf = join(dir, 'tinode.conf');
    writeFileSync(conf, '{ "store_config": { "max_results": -5 } }');
    const r = await runTinode(['init-db', '--config', conf], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/store_config\.max_results/);
    expect(r.stderr).toMatch(/expected an integer of at least 1/);
    const bad = await runTinode(['init-db', '--db', 'oracle://x/y'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--db/);
  });
});

describe('tinode keygen', () => {
  it('makes a key that validates against the salt it printed', async () => {
    const made = await runTinode(['keygen', '--sequence', '3']);
    expect(made.code).toBe(0);
    const key = /API key v1 seq3 \[ordinary\]: (\S+)/.exec(made.stdout)?.[1];
    const salt = /HMAC salt: (\S+)/.exec(made.stdout)?.[1];
    expect(key).toHaveLength(32);
    const ok = await runTinode(['keygen', '--validate', key!, '--salt', salt!]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^Valid v1 seq3 \[ordinary\]/);
    const other = await runTinode(['keygen', '--validate', key!]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/not valid/);
  });

  it('signs with a given salt, root keys included', async () => {
    const salt = Buffer.alloc(32, 7).toString('base64');
    const made = await runTinode(['keygen', '--salt', salt, '--isroot']);
    const key = /\[ROOT\]: (\S+)/.exec(made.stdout)?.[1];
    expect(made.stdout).toContain(`HMAC salt: ${salt}`);
    const ok = await runTinode(['keygen', '--validate', key!, '--salt', salt]);
    expect(ok.stdout).toMatch(/\[ROOT\]/);
  });

  it('validates the public demo key against the default salt', async () => {
    const r = await runTinode(['keygen', '--validate', 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Valid v1 seq1 \[ordinary\]/);
  });

  it('makes a token key and a uid key that a config file takes', async () => {
    const r = await runTinode(['keygen', '--token-key', '--uid-key']);
    expect(r.code).toBe(0);
    const token = /^auth_config\.token\.key: (\S+)$/m.exec(r.stdout)?.[1];
    const uid = /^store_config\.uid_key: (\S+)$/m.exec(r.stdout)?.[1];
    expect(Buffer.from(token!, 'base64')).toHaveLength(32);
    expect(Buffer.from(uid!, 'base64')).toHaveLength(16);
    const { config } = loadConfig(undefined, { set: { auth_config: { token: { key: token } }, store_config: { uid_key: uid } } });
    expect([config.auth_config.token.key, config.store_config.uid_key]).toEqual([token, uid]);
    const again = await runTinode(['keygen', '--uid-key']);
    expect(again.stdout.trim()).toMatch(/^store_config\.uid_key: \S+$/);
    expect(again.stdout).not.toContain(uid!);
    const help = await runTinode(['keygen', '--help']);
    expect(help.stdout).toMatch(/--token-key/);
    expect(help.stdout).toMatch(/--uid-key/);
    const mixed = await runTinode(['keygen', '--token-key', '--validate', 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/leave out --validate/);
  });

  it('refuses a bad sequence or salt with exit code 2', async () => {
    expect((await runTinode(['keygen', '--sequence', '70000'])).code).toBe(2);
    expect((await runTinode(['keygen', '--salt', '***'])).code).toBe(2);
  });
});
