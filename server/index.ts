import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { resolveCluster } from './cluster/config.js';
import { startCluster, type RunningCluster } from './cluster/start.js';
import { healthRoutes } from './metrics/health.js';
import { extraRoutes, pathOn } from './metrics/routes.js';
import { Metrics } from './metrics/prometheus.js';
import { Stats } from './metrics/stats.js';
import { DEFAULT_AUTOCERT_TIMINGS } from './acme/autocert.js';
import { DEMO_API_KEY_SALT, type TinodeConfig } from '../src/config/schema.js';
import { checkApiKey, decodeSalt } from '../src/model/apikey.js';
import { AuthLevel, authLevelName, parseAuthLevel } from '../src/model/auth-level.js';
import { MODE_CP2P, MODE_CP2PD } from '../src/model/access.js';
import { encodeServerJson } from '../src/wire/codec/json-encode.js';
import { reply } from '../src/wire/replies.js';
import { packageVersion } from '../src/paths.js';
import { Schemes } from './auth/schemes.js';
import type { Guards, ServerContext } from './session/context.js';
import { LoginGuard } from './limits/login-guard.js';
import { SessionGate } from './limits/session-gate.js';
import type { Connection, TransportKind } from './session/connection.js';
import { Hub } from './hub/hub.js';
import type { Limits } from './limits/limits.js';
import { GrpcFiles } from './media/grpc-files.js';
import { PublicAvatars, storeAvatarLookup } from './media/avatars.js';
import { fileRoutes } from './media/http-serve.js';
import { DEFAULT_GC_GRACE_MS, Media } from './media/media.js';
import { GrpcTransport } from './transport/grpc.js';
import { Plugins } from './plugins/plugins.js';
import { Push } from './push/push.js';
import type { Logger } from './log/log.js';
import { SessionRegistry } from './session/registry.js';
import { SlowSessionWatch } from './session/slow-sessions.js';
import { BackgroundSessions, DEFAULT_BACKGROUND_MS } from './session/background.js';
import type { CredValidator } from './validate/validator.js';
import { Session } from './session/session.js';
import { SendWindow } from './session/send-window.js';
import { bundledSamplePath, readDataFile } from './store/init/data-file.js';
import { loadData } from './store/init/loader.js';
import { isStoreError } from './store/contract/errors.js';
import { Store } from './store/store.js';
import { createHttpServer, listen } from './transport/http.js';
import { planTls, TlsSetup } from './transport/tls-setup.js';
import { LongPollTransport } from './transport/longpoll.js';
import { staticFolderCsp } from './transport/security-headers.js';
import { staticHandler } from './transport/static.js';
import type { HttpReplies } from './transport/types.js';
import { WebsocketTransport } from './transport/websocket.js';
import { EmailValidator, TelValidator, type EmailConfig, type TelConfig } from './validate/validators.js';
import { loadWebApp } from './web/webapp.js';
import { callSettings, describeCalls, type CallSettings } from './calls/settings.js';

/**
 * The composition root: builds every part of the server from the config and starts listening.
 * The returned handle stops it gracefully.
 */
export interface ServerOptions {
  log: Logger;
  /** Create the database and load the bundled sample when an SQLite database does not exist yet. */
  autoInitSqlite?: boolean;
  /** Folder of static files served at `static_mount`. */
  staticDir?: string | undefined;
  /** Timings, shortened by tests. */
  timings?: Partial<Timings>;
  /** `--cluster-self`: this node's name in `cluster_config.nodes` (instead of `cluster_config.self`). */
  clusterSelf?: string | undefined;
}

export interface Timings {
  /** How often the TLS certificate files are checked for changes. */
  tlsWatchMs: number;
  /** An ACME certificate is renewed once less than this share of its lifetime remains. */
  acmeRenewShare: number;
  /** After a failed ACME order, the wait before the next; also the least time between two orders. */
  acmeRetryMs: number;
  /** Websocket ping interval; a client silent for two is dropped. */
  pingMs: number;
  /** Long poll held open at most this long. */
  pollMs: number;
  /** Long-poll sessions not polled for this long expire. */
  lpIdleMs: number;
  /** Topics without sessions unload after this long. */
  topicIdleMs: number;
  /** Uploads nobody links to are garbage-collected once this old. */
  mediaGcGraceMs: number;
  /**
   * A session that said `{hi bkg:true}` counts as foreground (online, announced) after this
   * long, as the reference intends; 0 makes every session foreground from the start.
   */
  backgroundMs: number;
  /** An operation that holds a topic's inbox, or a message a session's, longer than this is logged as a warning, once. */
  slowTaskMs: number;
}

const DEFAULT_TIMINGS: Timings = {
  pingMs: 49_500,
  pollMs: 49_500,
  lpIdleMs: 70_000,
  topicIdleMs: 4_000,
  mediaGcGraceMs: DEFAULT_GC_GRACE_MS,
  backgroundMs: DEFAULT_BACKGROUND_MS,
  slowTaskMs: 10_000,
  tlsWatchMs: 5_000,
  acmeRenewShare: DEFAULT_AUTOCERT_TIMINGS.renewShare,
  acmeRetryMs: DEFAULT_AUTOCERT_TIMINGS.retryMs,
};

export interface RunningServer {
  /** `http://host:port` where clients connect. */
  readonly url: string;
  /** `host:port` of the gRPC service, or null when `grpc_listen` is empty. */
  readonly grpcAddr: string | null;
  readonly ctx: ServerContext;
  /** The live topics (tests look at what is loaded). */
  readonly hub: Hub;
  /** Reads the TLS certificate and key files again (`SIGHUP`); false without TLS or when they do not load. */
  reloadTls(): boolean;
  /** The serial of the certificate from ACME in use (`tls.autocert`), or null. */
  acmeSerial(): string | null;
  /** Stops gracefully: sessions get "server shutdown", queued work finishes, connections close. */
  close(): Promise<void>;
}

/**
 * Opens the store, creating an SQLite database with the sample data on first start if asked, and
 * resolves its keys (logging what the operator should know about them).
 */
async function openStore(config: TinodeConfig, opts: ServerOptions, workerId?: number): Promise<Store> {
  const store = await Store.open(config.store_config, { tokenKey: config.auth_config.token.key, warn: (text) => opts.log.warn(text), ...(workerId ? { workerId } : {}) });
  try {
    let created = false;
    if (!(await store.isInitialized())) {
      if (!(opts.autoInitSqlite && config.store_config.use_adapter === 'sqlite')) {
        throw new Error(`no Tinode database at ${store.describe()}: create it with "tinode init-db" (add --data sample for sample users)`);
      }
      opts.log.info(`no database at ${store.describe()}: creating it and loading the sample data (alice/alice123, bob/bob123, ...)`);
      await store.createDb(false);
      created = true;
    }
    await store.checkReady();
    for (const n of await store.unlock()) {
      opts.log[n.level](n.text);
    }
    if (created) {
      await loadSample(store, config, opts.log);
    }
  } catch (err) {
    await store.close();
    if (isStoreError(err, 'db-version')) {
      throw new Error(`${err.message}: back up the database and run "tinode init-db --upgrade"`);
    }
    throw err;
  }
  return store;
}

async function loadSample(store: Store, config: TinodeConfig, log: Logger): Promise<void> {
  const path = bundledSamplePath();
  const summary = await loadData(store, readDataFile(path), path, { p2pDelete: config.p2p_delete_enabled });
  log.info(`sample data loaded: ${summary.users.length} users, ${summary.groupTopics.length} group topics, ${summary.messages} messages`);
  for (const u of summary.users.filter((x) => x.generated)) {
    // Shown once: the chatbot logs in with it (tinode bot --login-basic login:password).
    log.info(`sample user ${u.login} (${u.id}) has the generated password ${u.password}`);
  }
}

function buildValidators(config: TinodeConfig, store: Store, log: Logger) {
  const validators = new Map<string, { validator: CredValidator; addToTags: boolean }>();
  const required = new Map<AuthLevel, string[]>();
  const sections = config.acc_validation;
  for (const [method, section] of Object.entries(sections)) {
    // A validator works when it is required at some level or adds tags (users may add it).
    if (section.required.length === 0 && !section.add_to_tags) {
      continue;
    }
    const raw = (section.config ?? {}) as Record<string, unknown>;
    const validator = method === 'email' ? new EmailValidator(raw as EmailConfig, store, log) : new TelValidator(raw as TelConfig, store, log);
    validators.set(method, { validator, addToTags: section.add_to_tags });
    for (const level of section.required) {
      const lvl = parseAuthLevel(level);
      required.set(lvl, [...(required.get(lvl) ?? []), method]);
    }
  }
  return { validators, required };
}

function buildGuards(config: TinodeConfig, log: Logger): Guards {
  const l = config.limits;
  const sessions = new SessionGate(
    { perAddress: l.max_sessions_per_address, longPoll: l.max_lp_sessions, handshakeMs: l.handshake_timeout * 1000 },
    (sess, address) => {
      log.info(`session ${sess.sid} from ${address} closed: no {hi} within ${l.handshake_timeout} s (limits.handshake_timeout)`);
      sess.stop();
    },
  );
  const logins = new LoginGuard({ perLogin: l.login_failures, perAddress: l.login_failures_per_address, maxWaitMs: l.login_lockout * 1000 });
  return { sessions, logins };
}

function httpReplies(): HttpReplies {
  const now = () => new Date();
  return {
    apiKeyRequired: () => encodeServerJson(reply('apiKeyRequired', '', '', now())),
    sessionNotFound: () => encodeServerJson(reply('sessionNotFound', '', '', now())),
    malformed: (id) => encodeServerJson(reply('malformed', id, '', now())),
    methodNotAllowed: () => encodeServerJson(reply('operationNotAllowed', '', '', now())),
    notFound: () => encodeServerJson(reply('notFound', '', '', now())),
    serviceUnavailable: (id) => encodeServerJson(reply('serviceUnavailable', id, '', now())),
    lpCreated: (id, sid) => encodeServerJson(reply('created', id, '', now(), { sid })),
  };
}

/** Builds the server from a validated config and starts listening on `config.listen`. */
export async function startServer(config: TinodeConfig, opts: ServerOptions): Promise<RunningServer> {
  const { log } = opts;
  const timings = { ...DEFAULT_TIMINGS, ...opts.timings };
  const cluster = resolveCluster(config, opts.clusterSelf);
  const tlsPlan = planTls(config, log);
  const store = await openStore(config, opts, cluster?.workerId);
  let auth: Schemes;
  try {
    auth = await Schemes.create(config.auth_config, store, config.limits.password_hashes);
  } catch (err) {
    await store.close();
    throw err;
  }
  const { validators, required } = buildValidators(config, store, log);
  const reqCredParam: Record<string, string[]> = {};
  for (const [lvl, methods] of required) {
    reqCredParam[authLevelName(lvl)] = methods;
  }
  const immutable = new Set([...auth.restrictedTags(), ...[...validators.keys()].filter((m) => validators.get(m)?.addToTags)]);
  let plugins: Plugins;
  let push: Push;
  let media: Media | null;
  let calls: CallSettings | null;
  try {
    calls = callSettings(config.webrtc);
    plugins = Plugins.create(config.plugins, log);
    push = Push.create(config.push, store, log);
    media = Media.create(config.media, store, log, timings.mediaGcGraceMs);
  } catch (err) {
    await store.close();
    throw err;
  }
  const guards = buildGuards(config, log);
  const limits: Limits = {
    maxMessageSize: config.max_message_size,
    maxSubscriberCount: config.max_subscriber_count,
    maxTagCount: config.max_tag_count,
    maxFileUploadSize: config.media.use_handler ? config.media.max_size : 0,
    msgDeleteAge: config.msg_delete_age,
    permanentAccounts: config.permanent_accounts,
    defaultCountryCode: config.default_country_code || 'US',
    inboundQueue: config.limits.inbound_queue,
    publishRate: config.limits.publish_rate,
    publishBurst: config.limits.publish_burst,
    presenceBatchMs: config.limits.presence_batch_ms,
    presenceBatchSessions: config.limits.presence_batch_sessions,
    presenceBatchFrames: config.limits.presence_batch_frames,
  };
  const tags = { immutable, masked: new Set(config.masked_tags), alias: config.alias_tag.trim() };
  const p2pMode = config.p2p_delete_enabled ? MODE_CP2PD : MODE_CP2P;
  const hub = new Hub({ store, log, plugins, push, auth, validators, requiredCreds: required, limits, tags, p2pMode, calls }, timings.topicIdleMs, timings.slowTaskMs);
  const sessions = new SessionRegistry<Session>();
  let clustered: RunningCluster | null = null;
  const closeStoreAndCluster = async () => {
    await clustered?.stop();
    await store.close();
  };
  if (cluster) {
    try {
      clustered = await startCluster(cluster, hub, sessions, log);
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const backgroundSessions = new BackgroundSessions(timings.backgroundMs);
  const slowSessions = new SlowSessionWatch(() => sessions.all(), log, timings.slowTaskMs);
  const version = { ver: '0.25', build: `${config.store_config.use_adapter}:tinode-toolkit-${packageVersion()}` };
  const stats = new Stats(version.ver);
  stats.attach({ liveSessions: () => sessions.size, liveTopics: () => hub.size, totalTopics: () => hub.loadedTotal, cluster: clustered?.counts });
  const metrics = pathOn(config.metrics_path)
    ? new Metrics(stats, {
        sessionsByTransport: () => {
          const by = { ws: 0, lp: 0, grpc: 0 };
          for (const s of sessions.all()) by[s.transport]++;
          return by;
        },
        liveTopics: () => hub.size,
      })
    : null;
  if (metrics) {
    store.observeCommits((c) => metrics.commit(c));
    plugins.observe((plugin, method, ok) => metrics.pluginCall(plugin, method, ok));
  }
  const ctx: ServerContext = {
    config,
    store,
    hub: clustered?.router ?? hub,
    clusterSize: () => clustered?.size() ?? 1,
    sessions,
    backgroundSessions,
    log,
    auth,
    plugins,
    push,
    validators,
    limits,
    sendWindow: new SendWindow(limits.presenceBatchMs, limits.presenceBatchFrames),
    guards,
    tags,
    requiredCreds: required,
    reqCredParam: Object.keys(reqCredParam).length > 0 ? reqCredParam : null,
    p2pMode,
    calls,
    version,
    stats,
    shuttingDown: false,
  };
  try {
    // In a cluster sys loads on its node when first used.
    if (!clustered) await hub.loadSys();
  } catch (err) {
    log.warn(`the sys topic could not be loaded (${err instanceof Error ? err.message : String(err)}); reports to sys are refused until it exists`);
  }
  const salt = decodeSalt(config.api_key_salt);
  const host = {
    admit: (remoteAddr: string, kind: TransportKind) => guards.sessions.admit(remoteAddr, kind),
    open(conn: Connection) {
      const sess = new Session(ctx, conn);
      sessions.add(sess);
      stats.sessionOpened();
      guards.sessions.opened(sess, conn.remoteAddr, conn.kind);
      return sess;
    },
  };
  const replies = httpReplies();
  const common = {
    host,
    replies,
    checkApiKey: (key: string) => checkApiKey(key, salt) !== null,
    maxMessageSize: config.max_message_size,
    maxJsonDepth: config.limits.max_json_depth,
    useXForwardedFor: config.use_x_forwarded_for,
  };
  const ws = new WebsocketTransport({ ...common, compression: !config.ws_compression_disabled, pingIntervalMs: timings.pingMs }, log);
  const lp = new LongPollTransport({ ...common, pollTimeoutMs: timings.pollMs, idleMs: timings.lpIdleMs, maxHeld: config.limits.inbound_queue }, log);
  const apiPath = config.api_path.endsWith('/') ? config.api_path : config.api_path + '/';
  const mountPath = apiPath.startsWith('/') ? apiPath : '/' + apiPath;
  let tlsSetup: TlsSetup | null = null;
  if (tlsPlan) {
    try {
      tlsSetup = await TlsSetup.start(tlsPlan, log, { watchMs: timings.tlsWatchMs, renewShare: timings.acmeRenewShare, retryMs: timings.acmeRetryMs });
    } catch (err) {
      await closeStoreAndCluster();
      throw err;
    }
  }
  const tls = tlsSetup?.files;
  // TinodeWeb from the tinode-webapp package, unless a static folder replaces it or `webapp` is off.
  const webAppOptions = {
    mount: config.static_mount,
    cacheControlSeconds: config.cache_control,
    xFrameOptions: config.x_frame_options,
    apiKeyCookie: { apiPath: mountPath, secure: !!tls, valid: common.checkApiKey },
  };
  const webApp = !opts.staticDir && config.webapp ? loadWebApp(webAppOptions, log) : null;
  const server: Server = createHttpServer(
    {
      apiPath: mountPath,
      ws,
      lp,
      replies,
      extra: extraRoutes(
        pathOn(config.expvar) ? { path: config.expvar, stats } : null,
        metrics ? { path: config.metrics_path, metrics } : null,
        healthRoutes(config.health, {
          shuttingDown: () => ctx.shuttingDown,
          checkDatabase: async () => {
            await store.dbVersion();
          },
          cluster: clustered?.status,
        }),
        media
          ? fileRoutes({
              media,
              schemes: auth,
              sessions,
              checkApiKey: common.checkApiKey,
              useXForwardedFor: config.use_x_forwarded_for,
              apiPath: mountPath,
              log,
              avatars: new PublicAvatars(storeAvatarLookup(store)),
              stats,
            })
          : null,
      ),
      static: opts.staticDir ? staticHandler(opts.staticDir, config.static_mount, config.cache_control, { 'Content-Security-Policy': staticFolderCsp(config.x_frame_options) }) : webApp?.handler,
      xFrameOptions: config.x_frame_options,
      hstsMaxAge: tls ? config.tls.strict_max_age : 0,
      tls,
    },
    log,
  );
  let url: string;
  try {
    url = await listen(server, config.listen, tls ? 'https' : 'http');
  } catch (err) {
    tlsSetup?.stop();
    await closeStoreAndCluster();
    throw new Error(`cannot listen on "${config.listen}": ${(err as Error).message} (change --listen or "listen")`);
  }
  tlsSetup?.serve(server as HttpsServer, url);
  let grpcAddr: string | null = null;
  let grpcTransport: GrpcTransport | null = null;
  if (config.grpc_listen) {
    grpcTransport = new GrpcTransport(
      {
        host,
        maxMessageSize: config.max_message_size,
        maxJsonDepth: config.limits.max_json_depth,
        keepalive: config.grpc_keepalive_enabled,
        files: media ? new GrpcFiles(media, auth, log) : undefined,
        tls: tls ? { ...tls, refreshMs: timings.tlsWatchMs } : undefined,
      },
      log,
    );
    try {
      grpcAddr = await grpcTransport.listen(grpcListenAddress(config.grpc_listen));
    } catch (err) {
      server.close();
      tlsSetup?.stop();
      await closeStoreAndCluster();
      throw new Error(`cannot listen for gRPC on "${config.grpc_listen}": ${(err as Error).message} (change --grpc-listen or "grpc_listen", or set it to "" to turn gRPC off)`);
    }
  }
  log.info(`tinode ${packageVersion()} listening on ${url} (websocket ${apiPath}v0/channels, long polling ${apiPath}v0/channels/lp)`);
  if (grpcAddr) {
    log.info(`gRPC listening on ${grpcAddr} (pbx.Node${tls ? ", TLS" : ""})`);
  }
  log.info(`database: ${store.describe()} (schema ${store.schemaVersion})`);
  if (config.api_key_salt === DEMO_API_KEY_SALT) {
    log.info('API key: the public demo key AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K is valid (default api_key_salt; make your own with "tinode keygen")');
  }
  if (media) {
    media.startGc();
    log.info(`file uploads: "${media.handler.name}" handler, up to ${config.media.max_size} bytes, at ${mountPath}v0/file/u/ and ${mountPath}v0/file/s/`);
  }
  if (opts.staticDir) {
    log.info(`static files from ${opts.staticDir} at ${config.static_mount}`);
  }
  if (webApp) {
    log.info(`web client: TinodeWeb ${webApp.version} at ${config.static_mount} (turn off with --no-webapp or "webapp": false)`);
  }
  log.info(describeCalls(calls));
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      ctx.shuttingDown = true;
      server.close();
      tlsSetup?.stop();
      const live = sessions.all();
      const count = sessions.stopAll(reply('shutdown', '', '', new Date()));
      await Promise.all(live.map((s) => s.idle()));
      await clustered?.stop();
      await hub.shutdown();
      slowSessions.stop();
      await ws.close();
      lp.close();
      await grpcTransport?.close();
      plugins.close();
      metrics?.close();
      guards.sessions.close();
      guards.logins.close();
      backgroundSessions.close();
      await push.idle();
      push.stop();
      await media?.stop();
      server.closeAllConnections();
      for (const v of validators.values()) {
        if (v.validator instanceof EmailValidator) v.validator.close();
      }
      await store.close();
      log.info(`stopped: ${count} sessions closed`);
    })();
    return closing;
  };
  return { url, grpcAddr, ctx, hub, reloadTls: () => tlsSetup?.reload() ?? false, acmeSerial: () => tlsSetup?.acmeCertificate?.serial ?? null, close };
}

/** The file routes (with a media handler) and the statistics at `expvar` (unless '' or '-'). */
/** `:16060` → `0.0.0.0:16060` (gRPC needs a host). */
function grpcListenAddress(listen: string): string {
  return listen.startsWith(':') ? `0.0.0.0${listen}` : listen;
}
