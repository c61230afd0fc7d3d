import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { callSettings } from '../../../server/calls/settings.js';
import { configError } from '../../helpers/config-error.js';

/** The `webrtc` section: on out of the box, off in a section without `enabled`, ICE servers checked. */

function settings(webrtc: unknown) {
  const { config } = loadConfig(undefined, webrtc === undefined ? {} : { set: { webrtc } });
  return callSettings(config.webrtc);
}


function tempFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tinode-ice-')), 'ice.json');
  writeFileSync(path, text);
  return path;
}

describe('webrtc config', () => {
  it('turns calls on with no section, with no ICE servers and 30 s of ringing', () => {
    expect(settings(undefined)).toEqual({ iceServers: [], timeoutSeconds: 30 });
  });

  it("is off in a section that does not enable it, as the reference's tinode.conf ships it", () => {
    expect(settings({})).toBeNull();
    expect(settings({ enabled: false, ice_servers: [{ urls: ['stun:stun.example.com'] }] })).toBeNull();
  });

  it('hands out the ICE servers with the empty values left out, and the ringing time (0: the default)', () => {
    const s = settings({
      enabled: true,
      call_establishment_timeout: 0,
      ice_servers: [{ urls: ['stun:stun.example.com'] }, { urls: ['turn:turn.example.com:3478?transport=udp'], username: 'u', credential: 'p' }],
    });
    expect(s).toEqual({
      iceServers: [{ urls: ['stun:stun.example.com'] }, { urls: ['turn:turn.example.com:3478?transport=udp'], username: 'u', credential: 'p' }],
      timeoutSeconds: 30,
    });
    expect(settings({ enabled: true, call_establishment_timeout: 45 })?.timeoutSeconds).toBe(45);
  });

  it('reads ice_servers_file (JSON with comments) when the list is empty', () => {
    const path = tempFile('// STUN only\n[{ "urls": ["stuns:stun.example.net:5349"] },]');
    expect(settings({ enabled: true, ice_servers_file: path })?.iceServers).toEqual([{ urls: ['stuns:stun.example.net:5349'] }]);
  });

  it('names the key and the fix for bad values', () => {
    expect(configError(() => settings({ enabled: true, ice_servers: [{ urls: ['http://stun.example.com'] }] })).key).toBe('webrtc.ice_servers[0].urls[0]');
    expect(configError(() => settings({ enabled: true, call_establishment_timeout: -1 })).key).toBe('webrtc.call_establishment_timeout');
    expect(configError(() => settings({ enabled: 'yes' })).key).toBe('webrtc.enabled');
    const missing = configError(() => settings({ enabled: true, ice_servers_file: '/nonexistent/ice.json' }));
    expect(missing.key).toBe('webrtc.ice_servers_file');
    expect(missing.message).toContain('ENOENT');
    expect(configError(() => settings({ enabled: true, ice_servers_file: tempFile('{"urls": []}') })).message).toContain('does not hold a JSON array');
    expect(configError(() => settings({ enabled: true, ice_servers_file: tempFile('[{"urls": ["ftp://x"]}]') })).key).toBe('webrtc.ice_servers_file[0].urls[0]');
    expect(configError(() => settings({ enabled: true, ice_servers_file: tempFile('[{"urls": [') })).message).toContain('syntax error');
  });
});
