import type { AuthLevel } from '../../src/model/auth-level.js';
import type { TagPolicy } from '../../src/model/tags.js';
import type { AuthSchemes } from '../auth/scheme.js';
import type { Limits } from '../limits/limits.js';
import type { Logger } from '../log/log.js';
import type { Plugins } from '../plugins/plugins.js';
import type { Push } from '../push/push.js';
import type { Store } from '../store/store.js';
import type { CallSettings } from '../calls/settings.js';
import type { CredValidator } from '../validate/validator.js';
import type { Routed } from './routed.js';
import type { Topic } from './topic.js';

/**
 * What a topic asks of whoever keeps it live (the hub): the calls a topic makes outside itself.
 * In a cluster the same calls reach topics on other nodes.
 */
export interface TopicHost {
  /** Delivers presence or info to a live topic by its routable name; dropped when it is not loaded. */
  route(name: string, msg: Routed): void;
  /** The topic stopped (unloaded, deleted): it is no longer live under its name. */
  remove(topic: Topic): void;
}

/**
 * Everything a topic may reach: the store, the log, plugins, push, the rules from the config, and
 * its host. A topic loads the same way wherever its environment comes from, which is what lets
 * another process serve it.
 */
export interface TopicEnv {
  readonly store: Store;
  readonly log: Logger;
  /** gRPC plugins (inactive when none is configured). */
  readonly plugins: Plugins;
  /** Push notifications (inactive when no handler is enabled). */
  readonly push: Push;
  /** Authentication schemes: tokens for `me`'s credential changes, `basic:` search terms. */
  readonly auth: AuthSchemes;
  /** Credential validators by method (`email`, `tel`), with whether they add tags. */
  readonly validators: ReadonlyMap<string, { validator: CredValidator; addToTags: boolean }>;
  /** Credential methods required at each auth level (`acc_validation.*.required`). */
  readonly requiredCreds: ReadonlyMap<AuthLevel, readonly string[]>;
  readonly limits: Limits;
  readonly tags: TagPolicy;
  /** Default p2p access: JRWPA, or JRWPAD with `p2p_delete_enabled`. */
  readonly p2pMode: number;
  /** Audio and video calls in p2p topics; null when they are off (`webrtc.enabled`). */
  readonly calls: CallSettings | null;
  readonly host: TopicHost;
}
