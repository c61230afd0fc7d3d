import { readFileSync } from 'node:fs';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { ConfigError } from '../../src/config/errors.js';
import { iceServer, type TinodeConfig } from '../../src/config/schema.js';
import type { Infer } from '../../src/config/schema-kit.js';

/**
 * What the `webrtc` section of the config turns into: whether calls are on, the ICE servers
 * clients get in `{hi}`, and how long a call may ring.
 */

/** An ICE server as clients get it (`{hi}` params `iceServers`): empty values left out. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
  credential_type?: string;
}

export interface CallSettings {
  /** Handed to clients; empty when the peers connect directly (one machine, a LAN). */
  readonly iceServers: readonly IceServer[];
  /** How long a call may ring unanswered before it ends as missed. */
  readonly timeoutSeconds: number;
}

/** The reference's default ringing time. */
const DEFAULT_TIMEOUT_SECONDS = 30;

/** Calls as configured, or null when they are off. Reads `ice_servers_file` when the list is empty. */
export function callSettings(conf: TinodeConfig['webrtc']): CallSettings | null {
  if (!conf.enabled) {
    return null;
  }
  let servers: Infer<typeof iceServer>[] = conf.ice_servers;
  if (servers.length === 0 && conf.ice_servers_file) {
    servers = readIceServersFile(conf.ice_servers_file);
  }
  return {
    iceServers: servers.map(wireIceServer),
    timeoutSeconds: conf.call_establishment_timeout > 0 ? conf.call_establishment_timeout : DEFAULT_TIMEOUT_SECONDS,
  };
}

/** The log line saying whether calls are on, and how. */
export function describeCalls(calls: CallSettings | null): string {
  if (!calls) return 'calls: off (webrtc.enabled)';
  const ice = calls.iceServers.length;
  const servers = ice > 0 ? `${ice} ICE server(s)` : 'no ICE servers (peers connect directly: one machine or a LAN; set webrtc.ice_servers for calls across NATs)';
  return `calls: on, ringing up to ${calls.timeoutSeconds} s, ${servers}`;
}

function wireIceServer(s: Infer<typeof iceServer>): IceServer {
  const out: IceServer = { urls: s.urls };
  if (s.username) out.username = s.username;
  if (s.credential) out.credential = s.credential;
  if (s.credential_type) out.credential_type = s.credential_type;
  return out;
}

/** `webrtc.ice_servers_file`: a JSON array (comments allowed) of servers as in `ice_servers`. */
function readIceServersFile(path: string): Infer<typeof iceServer>[] {
  const key = 'webrtc.ice_servers_file';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(key, `cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'a readable JSON file of ICE servers');
  }
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    throw new ConfigError(key, `syntax error in "${path}" at offset ${first.offset} (${printParseErrorCode(first.error)})`, 'a JSON array of ICE servers');
  }
  if (!Array.isArray(value)) {
    throw new ConfigError(key, `"${path}" does not hold a JSON array`, 'an array of ICE servers such as [{"urls": ["stun:stun.example.com"]}]');
  }
  return value.map((v, i) => iceServer.parse(v, `${key}[${i}]`));
}
