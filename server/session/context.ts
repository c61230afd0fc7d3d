import type { Stats } from '../metrics/stats.js';
import type { TinodeConfig } from '../../src/config/schema.js';
import type { AuthLevel } from '../../src/model/auth-level.js';
import type { TopicRouter } from '../request/router.js';
import type { LoginGuard } from '../limits/login-guard.js';
import type { SessionGate } from '../limits/session-gate.js';
import type { Limits } from '../limits/limits.js';
import type { SendWindow } from './send-window.js';
import type { Logger } from '../log/log.js';
import type { Plugins } from '../plugins/plugins.js';
import type { Push } from '../push/push.js';
import type { BackgroundSessions } from './background.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './registry.js';
import type { AuthSchemes } from '../auth/scheme.js';
import type { CredValidator } from '../validate/validator.js';
import type { Store } from '../store/store.js';
import type { TagPolicy } from '../../src/model/tags.js';
import type { CallSettings } from '../calls/settings.js';

/**
 * What the session side of a running server shares, built once by the composition root and
 * passed down: the frozen config, the store, the way to topics, the sessions, and values derived
 * from the config.
 */
export interface ServerContext {
  readonly config: TinodeConfig;
  readonly store: Store;
  /** How requests reach topics. */
  readonly hub: TopicRouter;
  /** Live nodes of the cluster (1 for a single server), for `{hi}`. */
  readonly clusterSize: () => number;
  readonly sessions: SessionRegistry<Session>;
  /** Background sessions waiting to come to the foreground. */
  readonly backgroundSessions: BackgroundSessions;
  readonly log: Logger;
  readonly auth: AuthSchemes;
  /** gRPC plugins (inactive when none is configured). */
  readonly plugins: Plugins;
  /** Push notifications (inactive when no handler is enabled). */
  readonly push: Push;
  /** Credential validators by method (`email`, `tel`), with whether they add tags. */
  readonly validators: ReadonlyMap<string, { validator: CredValidator; addToTags: boolean }>;
  readonly limits: Limits;
  /** Where sessions hold frames that may wait (`limits.presence_batch_ms`). */
  readonly sendWindow: SendWindow;
  readonly tags: TagPolicy;
  /** Credential methods required at each auth level (`acc_validation.*.required`). */
  readonly requiredCreds: ReadonlyMap<AuthLevel, readonly string[]>;
  /** The same as sent to clients in `{hi}` params `reqCred` (level name → methods), or null. */
  readonly reqCredParam: Record<string, string[]> | null;
  /** Default p2p access: JRWPA, or JRWPAD with `p2p_delete_enabled`. */
  readonly p2pMode: number;
  /** Calls as `{hi}` announces them (`iceServers`, `callTimeout`); null when they are off. */
  readonly calls: CallSettings | null;
  /** Version and build strings for `{hi}`. */
  readonly version: { ver: string; build: string };
  /** Who may open sessions, and who may try to log in now. */
  readonly guards: Guards;
  /** Runtime statistics (`expvar`). */
  readonly stats: Stats;
  /** True once shutdown started: new work is refused. */
  shuttingDown: boolean;
}

/** The server's defences against floods (see `limits` in the config). */
export interface Guards {
  readonly sessions: SessionGate;
  readonly logins: LoginGuard;
}
