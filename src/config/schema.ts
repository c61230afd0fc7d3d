import { decodeKey, isBase64, TOKEN_KEY_BYTES, UID_KEY_BYTES } from '../model/secret-keys.js';
import { arr, bool, int, nullable, obj, oneOf, optStr, raw, record, str, whenMissing, type Infer } from './schema-kit.js';

/**
 * The configuration schema: the keys of the reference server's `tinode.conf`, with its shipped
 * values as defaults, so that a server started without a config file behaves like a freshly
 * installed reference server (including the public demo API key being valid). The exceptions are
 * the token key and the uid key: their defaults are empty, meaning "the database's own", random
 * keys made with the database and kept in it, never the reference's public sample keys.
 */

function base64Bytes(len: number) {
  return (v: string): string | null => {
    if (!isBase64(v)) {
      return 'the value is not base64';
    }
    const n = decodeKey(v).length;
    return n === len ? null : `the value decodes to ${n} bytes`;
  };
}

function base64AtLeast(len: number) {
  return (v: string): string | null => {
    if (!isBase64(v)) {
      return 'the value is not base64';
    }
    const n = decodeKey(v).length;
    return n >= len ? null : `the value decodes to only ${n} bytes`;
  };
}

/** A key that may be left empty: "" means "the database's own key" (see server/store/secrets.ts). */
function emptyOr(check: (v: string) => string | null) {
  return (v: string): string | null => (v === '' ? null : check(v));
}

const listenAddress = (v: string): string | null =>
  v === '' || v.startsWith('unix:') || /^[^\s]*:[0-9a-z]+$/i.test(v) ? null : 'the value is not an address';

/** Let's Encrypt's production ACME directory, the default of `tls.autocert.directory_url`. */
export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

/** A host name a public CA can validate over HTTP-01: labels of letters, digits and hyphens. */
const domainName = (v: string): string | null =>
  v.length <= 253 && /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(v) ? null : 'the value is not a domain name';

const httpsUrl = (v: string): string | null => {
  try {
    return new URL(v).protocol === 'https:' ? null : 'the URL is not https://';
  } catch {
    return 'the value is not a URL';
  }
};

/** A STUN or TURN server URL, as RTCPeerConnection takes it. */
const iceUrl = (v: string): string | null => (/^(stuns?|turns?):[^\s]+$/i.test(v) ? null : 'the value is not a STUN or TURN URL');

/** One ICE server of `webrtc.ice_servers`, with the reference's keys. */
export const iceServer = obj({
  urls: arr(str('', iceUrl, 'a URL such as "stun:stun.example.com:3478" or "turn:turn.example.com:3478?transport=udp"')),
  username: str(''),
  credential: str(''),
  credential_type: str(''),
});

/** Default public demo salt: makes the demo key `AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K` valid. */
export const DEMO_API_KEY_SALT = 'T713/rYYgW7g4m3vG6zGRh7+FM1t0T8j13koXScOAj4=';
/** The public demo API key that the default salt validates. */
export const DEMO_API_KEY = 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K';

const validatorSection = (required: string[], config: Record<string, unknown>) =>
  obj({
    add_to_tags: bool(true),
    required: arr(oneOf('auth', ['anon', 'auth', 'root'] as const), required as ('anon' | 'auth' | 'root')[]),
    config: raw(config),
  });

/**
 * Passwords hashed at once by default: half of libuv's default pool of four threads, leaving the
 * other half to zlib and the file system.
 */
export const DEFAULT_PASSWORD_HASHES = 2;

export const configSchema = obj({
  listen: str(':6060', listenAddress, 'an address such as ":6060", "127.0.0.1:6060" or "unix:/path.sock"'),
  api_path: str('/'),
  cache_control: int(39600, 0),
  ws_compression_disabled: bool(false),
  static_mount: str('/'),
  static_data: optStr(),
  /** Serve TinodeWeb (the `tinode-webapp` package) at `static_mount` when no static folder is given. */
  webapp: bool(true),
  grpc_listen: str(':16060', listenAddress, 'an address such as ":16060", or "" to disable gRPC'),
  grpc_keepalive_enabled: bool(true),
  api_key_salt: str(DEMO_API_KEY_SALT, base64Bytes(32), '32 random bytes in base64 (see `tinode keygen`)'),
  max_message_size: int(131072, 1),
  max_subscriber_count: int(128, 2),
  max_tag_count: int(16, 1),
  permanent_accounts: bool(false),
  expvar: str('/debug/vars'),
  /** The log's level; `tinode serve --log-level` overrides it, `SIGHUP` re-reads it. */
  log_level: oneOf('info', ['debug', 'info', 'warn', 'error'] as const),
  /** `text`: readable lines; `json`: one JSON object per line for log collectors. */
  log_format: oneOf('text', ['text', 'json'] as const),
  /** Prometheus metrics (text format); '' or '-' turns them off. */
  metrics_path: str('/metrics'),
  /** Liveness (the process answers) and readiness (its database answers) for probes; '' or '-' turns one off. */
  health: obj({ live: str('/livez'), ready: str('/readyz') }),
  server_status: str(''),
  /** Off by default (the reference ships it on): a client could name any address and escape per-address limits. */
  use_x_forwarded_for: bool(false),
  x_frame_options: oneOf('SAMEORIGIN', ['SAMEORIGIN', 'DENY', '-'] as const),
  default_country_code: str('US', (v) => (v === '' || /^[A-Za-z]{2}$/.test(v) ? null : 'not a country code'), 'a 2-letter country code such as "US"'),
  p2p_delete_enabled: bool(true),
  msg_delete_age: int(600, 0),
  alias_tag: str('alias'),
  masked_tags: arr(str('')),
  media: obj({
    use_handler: str('fs'),
    max_size: int(8388608, 1),
    gc_period: int(60, 0),
    gc_block_size: int(100, 0),
    handlers: record(raw({}), {
      fs: { upload_dir: 'uploads', cache_control: 'max-age=86400' },
    }),
  }),
  tls: obj({
    enabled: bool(false),
    http_redirect: str(''),
    strict_max_age: int(604800),
    /**
     * Certificates from an ACME CA (Let's Encrypt), as the reference configures them, used when
     * `cert_file` and `key_file` are not set. Answers HTTP-01 challenges on `http_redirect`.
     */
    autocert: nullable(
      obj({
        /** Folder of the account key and the certificates (kept across restarts). */
        cache: str(''),
        /** Contact address given to the CA (expiry notices); may be empty. */
        email: str(''),
        /** Names the certificate is for: each must resolve to this server. */
        domains: arr(str('', domainName, 'a domain name such as "chat.example.com" (no wildcards: they need DNS-01)')),
        /** The ACME directory: Let's Encrypt's production one by default. */
        directory_url: str(LETS_ENCRYPT_DIRECTORY, httpsUrl, 'an https:// URL of an ACME directory'),
        /** A PEM file of the CA certificates to trust for the ACME directory itself (a private CA); "" for the system's. */
        ca_file: str(''),
      }),
    ),
    cert_file: str(''),
    key_file: str(''),
  }),
  auth_config: obj({
    logical_names: arr(str('', (v) => (/^[^:]+:[^:]*$/.test(v) ? null : 'not a "logical:real" pair'), 'a "logical:real" pair such as "my-auth:basic"')),
    basic: obj({
      add_to_tags: bool(true),
      min_login_length: int(4, 1, 32),
      min_password_length: int(6, 1),
    }),
    token: obj({
      expire_in: int(1209600, 1),
      serial_num: int(1, 0, 0xffff),
      /** "" (default): the database's own random key, made when the database is created. */
      key: str('', emptyOr(base64AtLeast(TOKEN_KEY_BYTES)), 'a secret of 32 random bytes in base64 (`tinode keygen --token-key`), or "" for the database\'s own'),
    }),
    code: obj({
      expire_in: int(900, 1),
      max_retries: int(3, 1),
      code_length: int(6, 4, 12),
    }),
    rest: raw(null),
    anonymous: raw(null),
  }),
  store_config: obj({
    /** "" (default): the database's own random key, made when the database is created. */
    uid_key: str('', emptyOr(base64Bytes(UID_KEY_BYTES)), '16 random bytes in base64 (`tinode keygen --uid-key`), or "" for the database\'s own'),
    max_results: int(1024, 1),
    use_adapter: str('sqlite'),
    adapters: record(raw({}), {
      sqlite: { path: './data/tinode.db' },
    }),
  }),
  acc_validation: obj({
    email: validatorSection(['auth'], {
      host_url: 'http://localhost:6060/',
      smtp_server: '',
      smtp_port: '25',
      sender: '"Tinode" <noreply@example.com>',
      languages: ['en'],
      max_retries: 3,
      domains: [],
      debug_response: '123456',
    }),
    tel: validatorSection([], {
      host_url: 'http://localhost:6060/',
      languages: ['en'],
      sender: 'Tinode',
      max_retries: 3,
      debug_response: '123456',
    }),
  }),
  acc_gc_config: obj({
    enabled: bool(true),
    gc_period: int(3600, 1),
    gc_block_size: int(10, 1),
    gc_min_account_age: int(30, 1),
  }),
  /**
   * Limits that protect the server and its users from floods (not in the reference's config).
   * Each has a safe default; 0 turns off the ones that say so.
   */
  limits: obj({
    /** Seconds a new connection has to send `{hi}` before it is closed; 0: no limit. */
    handshake_timeout: int(10, 0),
    /** Open sessions (all transports) from one client address; 0: no limit. */
    max_sessions_per_address: int(200, 0),
    /** Open long-poll sessions in all; 0: no limit. */
    max_lp_sessions: int(5000, 0),
    /** Client messages a session queues before the server stops reading from it. */
    inbound_queue: int(32, 1, 10_000),
    /** Failed logins for one login name before further attempts wait. */
    login_failures: int(5, 1),
    /** Failed logins from one address before further attempts wait. */
    login_failures_per_address: int(20, 1),
    /** Seconds: the longest wait after repeated failed logins (it doubles with each failure). */
    login_lockout: int(900, 1),
    /** `{pub}` per second and session (and as many `{note}`); 0: no limit. */
    publish_rate: int(20, 0),
    /** Messages a session may send at once above `publish_rate`. */
    publish_burst: int(50, 1),
    /**
     * Passwords hashed or checked at once (bcrypt runs on libuv's thread pool, which zlib and
     * file I/O share: a flood of logins must not take all of it). Others wait their turn.
     */
    password_hashes: int(DEFAULT_PASSWORD_HASHES, 1, 64),
    /**
     * Milliseconds that presence of members coming and going ({pres on/off}) may wait so that
     * several go to each socket in one write; 0: sent at once. Only for broadcasts to at least
     * `presence_batch_sessions` attached sessions (joins into a big group).
     */
    presence_batch_ms: int(50, 0, 1000),
    presence_batch_sessions: int(64, 1),
    /** Such frames one session holds at most: one more writes them all at once. */
    presence_batch_frames: int(64, 1, 10_000),
    /** Deepest nesting of objects and arrays accepted in a client message. */
    max_json_depth: int(64, 8, 10_000),
  }),
  push: arr(obj({ name: str(''), config: raw({}) })),
  /**
   * Audio and video calls in p2p topics (the reference's keys). A `webrtc` section without
   * `enabled: true` turns them off, as the reference does; with no section at all they are on
   * (what `tinode serve` does out of the box): with no ICE servers, the peers connect directly,
   * which works on one machine or a LAN.
   */
  webrtc: whenMissing(
    obj({
      enabled: bool(false),
      /** Seconds a call may ring unanswered before it ends as missed; 0: the default, 30. */
      call_establishment_timeout: int(30, 0, 3600),
      /** STUN and TURN servers handed to clients in `{hi}` (`iceServers`). */
      ice_servers: arr(iceServer),
      /** A JSON file holding the same list (read when `ice_servers` is empty). */
      ice_servers_file: str(''),
    }),
    { enabled: true },
  ),
  /**
   * Clustering, as the reference configures it (`self`, `nodes`, `failover`), with NATS as the
   * transport between the nodes (`nats_url`, credentials optional). `self` empty: standalone.
   */
  cluster_config: obj({
    /** This node's name; `tinode serve --cluster-self NAME` overrides it. */
    self: str(''),
    /** Every node of the cluster, this one included. `addr` is the reference's RPC address: accepted, unused (the nodes talk through NATS). */
    nodes: arr(obj({ name: str(''), addr: str('') })),
    failover: obj({
      enabled: bool(false),
      /** Milliseconds between a node's heartbeats. */
      heartbeat: int(100, 10, 60_000),
      /** The reference's leader election timeout in heartbeats: accepted, unused (NATS keeps the membership). */
      vote_after: int(8, 1, 10_000),
      /** Heartbeats a node may miss before the others count it gone and take over its topics. */
      node_fail_after: int(16, 2, 10_000),
    }),
    /** NATS servers, comma-separated (`nats://host:4222,nats://other:4222`). */
    nats_url: str('nats://127.0.0.1:4222'),
    nats_user: str(''),
    nats_password: str(''),
    nats_token: str(''),
    /** A NATS credentials file (JWT and NKey seed). */
    nats_creds_file: str(''),
    /** Prefix of the cluster's subjects and key-value bucket: clusters sharing one NATS differ by it. */
    nats_prefix: str('tinode', (v) => (/^[A-Za-z0-9_-]+$/.test(v) ? null : 'the value has characters NATS names cannot hold'), 'letters, digits, "_" and "-"'),
  }),
  plugins: arr(raw({})),
});

/** The validated, frozen configuration passed down to every part. */
export type TinodeConfig = Infer<typeof configSchema>;
