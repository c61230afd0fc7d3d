import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDbUrl } from '../../../src/config/db-url.js';
import { loadConfig } from '../../../src/config/load.js';
import { configError } from '../../helpers/config-error.js';

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tinode-conf-'));
  const path = join(dir, 'tinode.conf');
  writeFileSync(path, text);
  return path;
}


describe('config', () => {
  it("has the reference server's defaults", () => {
    const { config, source } = loadConfig(undefined);
    expect(source).toBe('built-in defaults');
    expect(config.listen).toBe(':6060');
    expect(config.grpc_listen).toBe(':16060');
    expect(config.max_message_size).toBe(131072);
    expect(config.max_subscriber_count).toBe(128);
    expect(config.max_tag_count).toBe(16);
    expect(config.auth_config.token.expire_in).toBe(1209600);
    expect(config.store_config.use_adapter).toBe('sqlite');
    expect(config.store_config.adapters.sqlite).toEqual({ path: './data/tinode.db' });
    // No sample keys: "" is the database's own random key.
    expect(config.auth_config.token.key).toBe('');
    expect(config.store_config.uid_key).toBe('');
    expect(Object.isFrozen(config.store_config)).toBe(true);
  });

  it('reads JSON with comments and trailing commas, and warns about unknown keys', () => {
    const path = file(`// a comment
      {
        /* block */ "listen": ":7070", // trailing
        "max_tag_count": 20,
        "mystery": 1,
      }`);
    const { config, warnings } = loadConfig(path);
    expect(config.listen).toBe(':7070');
    expect(config.max_tag_count).toBe(20);
    expect(warnings).toEqual(['unknown config key "mystery" ignored']);
  });

  it('names the key, the problem and what is expected', () => {
    const err = configError(() => loadConfig(file('{"store_config": {"uid_key": "short"}}')));
    expect(err.key).toBe('store_config.uid_key');
    expect(err.expected).toMatch(/16 random bytes.*tinode keygen --uid-key/);
    expect(configError(() => loadConfig(file('{"auth_config": {"token": {"key": "c2hvcnQ="}}}'))).key).toBe('auth_config.token.key');
    expect(loadConfig(file('{"store_config": {"uid_key": ""}, "auth_config": {"token": {"key": ""}}}')).config.store_config.uid_key).toBe('');
    const err2 = configError(() => loadConfig(file('{"max_message_size": "big"}')));
    expect(err2.message).toBe('config error at "max_message_size": found the string "big"; expected an integer of at least 1');
    const err3 = configError(() => loadConfig(file('{"listen": ":6060" "x": 1}')));
    expect(err3.key).toMatch(/tinode\.conf:1:/);
    const err4 = configError(() => loadConfig('/nonexistent/tinode.conf'));
    expect(err4.key).toBe('--config');
  });

  it('lets --db pick the store over the file', () => {
    const path = file('{"store_config": {"use_adapter": "mysql", "adapters": {"mysql": {"dsn": "root@tcp(db:3306)/old"}}}}');
    const { config } = loadConfig(path, { db: 'postgres://me:pw@10.0.0.1:5433/chat' });
    expect(config.store_config.use_adapter).toBe('postgres');
    expect(config.store_config.adapters.postgres).toMatchObject({ User: 'me', Passwd: 'pw', Host: '10.0.0.1', Port: '5433', DBName: 'chat' });
  });
});

describe('--db URLs', () => {
  it('understands the three kinds', () => {
    expect(parseDbUrl('sqlite:./x/t.db')).toEqual({ adapter: 'sqlite', config: { path: './x/t.db' } });
    expect(parseDbUrl('mysql://root@127.0.0.1/tinode_x')).toEqual({
      adapter: 'mysql',
      config: { User: 'root', Passwd: '', Net: 'tcp', Addr: '127.0.0.1:3306', DBName: 'tinode_x' },
    });
    expect(parseDbUrl('postgresql://postgres@localhost/t').config).toMatchObject({ Host: 'localhost', Port: '5432', DBName: 't' });
  });

  it('refuses other kinds and odd database names', () => {
    expect(configError(() => parseDbUrl('redis://x')).problem).toMatch(/unknown database kind "redis"/);
    expect(configError(() => parseDbUrl('mysql://h/bad-name')).problem).toMatch(/bad-name/);
    expect(configError(() => parseDbUrl('sqlite:')).problem).toMatch(/empty/);
  });
});
