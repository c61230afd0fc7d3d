import sdk from 'tinode-sdk';
import WebSocket from 'ws';
import XMLHttpRequest from 'xhr2';

/**
 * tinode-sdk 0.25.3, the official JavaScript client, set up for Node: `ws` and `xhr2` as the
 * network, a stand-in for IndexedDB (nothing is cached), explicit transports.
 */
export const DEMO_KEY = 'AQEAAAABAAD_rAp4DJh05a1HAwFT3A6K';

/** The SDK's builder of `{get}` queries. */
export interface MetaQueryBuilder {
  withDesc(): MetaQueryBuilder;
  withSub(): MetaQueryBuilder;
  /** Subscriptions changed since the newest one the SDK has seen (all of them the first time). */
  withLaterSub(limit?: number): MetaQueryBuilder;
  withTags(): MetaQueryBuilder;
  withCred(): MetaQueryBuilder;
  withLaterData(limit?: number): MetaQueryBuilder;
  withEarlierData(limit?: number): MetaQueryBuilder;
  withData(since?: number, before?: number, limit?: number): MetaQueryBuilder;
  withDel(since?: number, limit?: number): MetaQueryBuilder;
  withOneSub(ims?: Date, userOrTopic?: string): MetaQueryBuilder;
  build(): unknown;
}

/** The SDK's access mode (`acs`): what a user wants, was given, and has. */
export interface SdkAccessMode {
  getMode(): string;
  getGiven(): string;
  getWant(): string;
  isOwner(): boolean;
  isReader(): boolean;
  isWriter(): boolean;
  isDeleter(): boolean;
  isJoiner(): boolean;
}

/** A `{data}` message as the SDK keeps it. */
export interface SdkMessage {
  topic: string;
  seq: number;
  from?: string;
  ts?: Date;
  head?: Record<string, unknown>;
  content?: unknown;
  [key: string]: unknown;
}

/** A range of message ids: `[low, hi)`, or `low` alone. */
export interface SdkSeqRange {
  low: number;
  hi?: number;
}

/** The parts of the SDK's API the tests use, typed loosely where the SDK has no types. */
export interface SdkTopic {
  name: string;
  createMessage(data: unknown, noEcho?: boolean): Record<string, unknown>;
  publish(data: unknown, noEcho?: boolean): Promise<SdkCtrl | undefined>;
  publishMessage(pub: Record<string, unknown>): Promise<SdkCtrl | undefined>;
  noteRead(seq?: number): void;
  noteRecv(seq: number): void;
  noteKeyPress(): void;
  getMessagesPage(limit: number, gaps?: SdkSeqRange[], min?: number, max?: number, newer?: boolean): Promise<SdkCtrl>;
  delMessages(ranges: SdkSeqRange[], hard?: boolean): Promise<SdkCtrl>;
  delMessagesList(list: number[], hard?: boolean): Promise<SdkCtrl>;
  delMessagesAll(hard?: boolean): Promise<SdkCtrl | undefined>;
  delTopic(hard?: boolean): Promise<SdkCtrl | null>;
  invite(uid: string, mode?: string): Promise<SdkCtrl>;
  updateMode(uid: string | null, update: string): Promise<SdkCtrl>;
  messages(cb: (msg: SdkMessage) => void): void;
  msgReadCount(seq: number): number;
  msgRecvCount(seq: number): number;
  msgStatus(msg: SdkMessage): number;
  getAccessMode(): SdkAccessMode;
  maxMsgSeq(): number;
  minMsgSeq(): number;
  subscriber(uid: string): Record<string, unknown> | undefined;
  onData?: (data?: SdkMessage) => void;
  onInfo?: (info: Record<string, unknown>) => void;
  onMeta?: (meta: Record<string, unknown>) => void;
  subscribe(get?: unknown, set?: unknown): Promise<SdkCtrl>;
  leave(unsub?: boolean): Promise<SdkCtrl>;
  getMeta(query: unknown): Promise<SdkCtrl>;
  setMeta(params: unknown): Promise<SdkCtrl>;
  startMetaQuery(): MetaQueryBuilder;
  isSubscribed(): boolean;
  contacts(cb: (c: Record<string, unknown>) => void): void;
  tags(): string[];
  getCredentials?(): Record<string, unknown>[];
  public: Record<string, unknown> | undefined;
  private: unknown;
  onMetaSub?: (sub: Record<string, unknown>) => void;
  onSubsUpdated?: (subs: string[], count?: number) => void;
  onContactUpdate?: (what: string, cont: Record<string, unknown>) => void;
  onTagsUpdated?: (tags: string[]) => void;
  onMetaDesc?: (desc: Record<string, unknown>) => void;
  onPres?: (pres: Record<string, unknown>) => void;
  getContact?(name: string): Record<string, unknown> | undefined;
  userDesc?(uid: string): Record<string, unknown> | undefined;
  [key: string]: unknown;
}

export interface SdkCtrl {
  code: number;
  text: string;
  topic?: string;
  params?: Record<string, unknown>;
}

export interface SdkClient {
  connect(host?: string): Promise<void>;
  disconnect(): void;
  isConnected(): boolean;
  isAuthenticated(): boolean;
  getCurrentUserID(): string;
  loginBasic(login: string, password: string, cred?: unknown): Promise<SdkCtrl>;
  loginToken(token: string, cred?: unknown): Promise<SdkCtrl>;
  login(scheme: string, secret: string, cred?: unknown): Promise<SdkCtrl>;
  createAccountBasic(login: string, password: string, params?: unknown): Promise<SdkCtrl>;
  createAccount(scheme: string, secret: string | null, login: boolean, params?: unknown): Promise<SdkCtrl>;
  updateAccountBasic(uid: string | null, login: string, password: string, params?: unknown): Promise<SdkCtrl>;
  requestResetAuthSecret(scheme: string, method: string, value: string): Promise<SdkCtrl>;
  getAuthToken(): { token: string; expires: Date } | null;
  getMeTopic(): SdkTopic;
  getFndTopic(): SdkTopic;
  getTopic(name: string): SdkTopic;
  newGroupTopicName(isChannel: boolean): string;
  /** A raw `{sub}`, bypassing the topic object (which skips the request when it thinks it is attached). */
  subscribe(topic: string, get?: unknown, set?: unknown): Promise<SdkCtrl>;
  publish(topic: string, content: unknown, noEcho?: boolean): Promise<SdkCtrl>;
  report(action: string, target: string): Promise<SdkCtrl>;
  delCurrentUser(hard: boolean): Promise<SdkCtrl>;
  getServerInfo(): Record<string, unknown>;
  getServerParam(name: string, def?: unknown): unknown;
  onConnect?: (code: number, text: string, params: unknown) => void;
  onDisconnect?: (err: unknown) => void;
  onMessage?: (msg: unknown) => void;
  onRawMessage?: (text: string) => void;
  [key: string]: unknown;
}

interface SdkModule {
  Tinode: (new (config: Record<string, unknown>, onComplete?: () => void) => SdkClient) & {
    setNetworkProviders(ws: unknown, xhr: unknown): void;
    setDatabaseProvider(db: unknown): void;
  };
}

const { Tinode } = sdk as unknown as SdkModule;

/** IndexedDB stand-in: deleting succeeds at once; opening never completes (not used: persist is off). */
const noDatabase = {
  deleteDatabase() {
    const req: { onsuccess?: (e: unknown) => void } = {};
    setTimeout(() => req.onsuccess?.({ target: {} }), 0);
    return req;
  },
  open() {
    return {};
  },
};

Tinode.setNetworkProviders(WebSocket, XMLHttpRequest);
Tinode.setDatabaseProvider(noDatabase);

/** A new SDK client for the server at `host` over `transport`, connected (and `{hi}` answered). */
export async function connectSdk(host: string, transport: 'ws' | 'lp'): Promise<SdkClient> {
  const client = new Tinode({ appName: 'sdk-test', host, apiKey: DEMO_KEY, transport, secure: false, persist: false });
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.connect().catch(reject);
    setTimeout(() => reject(new Error(`no {hi} answer over ${transport}`)), 5000).unref();
  });
  return client;
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function until(check: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A packet from the server as an SDK client's `onMessage` hands it over. */
export interface SdkPacket {
  ctrl?: Record<string, unknown>;
  data?: Record<string, unknown>;
  pres?: Record<string, unknown>;
  info?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

/** A logged-in SDK client and every packet the server sent it since the login. */
export interface RecordedUser {
  c: SdkClient;
  uid: string;
  log: SdkPacket[];
}

/** The requests an SDK client has in flight (its own, sent on some `{pres}`, included). */
export function pendingRequests(c: SdkClient): number {
  return Object.keys((c as unknown as { _pendingPromises: Record<string, unknown> })._pendingPromises).length;
}

/**
 * Waits until the clients have had nothing from the server for `quietMs` (`lastPacketAt` says
 * when the last packet came) and have no requests in flight. The SDK sends requests of its own on
 * some `{pres}` (to fetch a new contact, say); closing a connection under them rejects promises
 * nobody catches.
 */
export async function settleClients(clients: readonly SdkClient[], lastPacketAt: () => number, quietMs = 150, ms = 5000): Promise<void> {
  await until(() => Date.now() - lastPacketAt() > quietMs && clients.every((c) => !c.isConnected() || pendingRequests(c) === 0), ms, 'the clients to settle');
}
