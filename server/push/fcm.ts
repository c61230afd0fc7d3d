import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/config/errors.js';
import type { Logger } from '../log/log.js';
import type { Store } from '../store/store.js';
import type { PushHandler } from './push.js';
import { payloadFor, type PushPayload, type PushReceipt } from './receipt.js';

/**
 * Firebase Cloud Messaging, HTTP v1 API, with a service account: the server signs a JWT with the
 * account's key, trades it at `token_uri` for an access token, and sends one message per device.
 * Tokens FCM calls unregistered are forgotten. `endpoint` (our addition) points the sends
 * elsewhere than https://fcm.googleapis.com, for tests against a local fake.
 */

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** The longest text a push carries (the reference's limit, in characters). */
const MAX_TEXT = 128;

interface ServiceAccount {
  project_id?: string;
  private_key_id?: string;
  private_key: string;
  client_email: string;
  token_uri: string;
}

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

/** Plain text of a message: Drafty's `txt`, a string as is, anything else as JSON; shortened. */
export function previewText(content: unknown): string {
  let text: string;
  if (typeof content === 'string') text = content;
  else if (typeof content === 'object' && content !== null && typeof (content as { txt?: unknown }).txt === 'string') text = (content as { txt: string }).txt;
  else text = content === undefined || content === null ? '' : JSON.stringify(content);
  const chars = [...text];
  return chars.length > MAX_TEXT ? chars.slice(0, MAX_TEXT).join('') + '…' : text;
}

/** The `data` part of an FCM message (string values only), as the reference builds it. */
export function fcmData(p: PushPayload, silent: boolean): Record<string, string> {
  const data: Record<string, string> = { what: p.what, topic: p.topic, ts: p.ts.toISOString(), xfrom: p.from };
  if (silent || p.silent) data.silent = 'true';
  if (p.what === 'msg') {
    data.seq = String(p.seq);
    if (p.mime) data.mime = p.mime;
    data.content = previewText(p.content);
    if (p.webrtc) {
      data.webrtc = p.webrtc;
      if (p.aonly) data.aonly = 'true';
      data.silent = 'true';
    }
    if (p.replace) {
      data.replace = p.replace;
      data.silent = 'true';
    }
  } else if (p.what === 'sub') {
    data.modeWant = p.want ?? '';
    data.modeGiven = p.given ?? '';
  } else {
    data.seq = String(p.seq);
    data.silent = 'true';
  }
  return data;
}

/** Seconds a push about a new call may wait for a device: after that the call has rung out anyway. */
const CALL_PUSH_TTL = 10;

/**
 * A push about a call (`data.webrtc` set), as the reference sends it: delivered now or never
 * (Android TTL 0, an iOS expiry of a few seconds), at the highest priority, with no alert: the app
 * rings itself. A call starting is time-critical on iOS.
 */
export function callMessage(device: string, data: Record<string, string>, unread: number): Record<string, unknown> {
  const started = data.webrtc === 'started';
  return {
    token: device,
    data,
    android: { priority: 'high', ttl: '0s' },
    apns: {
      headers: { 'apns-priority': '10', 'apns-expiration': String(Math.floor(Date.now() / 1000) + (started ? CALL_PUSH_TTL : 3600)) },
      payload: { aps: { badge: unread, 'content-available': 1, 'mutable-content': 1, 'interruption-level': started ? 'critical' : 'time-sensitive' } },
    },
    webpush: { headers: { TTL: '0', Urgency: 'high' } },
  };
}

export class FcmHandler implements PushHandler {
  readonly name = 'fcm';
  private token: { value: string; expires: number } | null = null;

  private constructor(
    private readonly account: ServiceAccount,
    private readonly project: string,
    private readonly endpoint: string,
    private readonly ttlSeconds: number,
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  static create(conf: Record<string, unknown>, key: string, store: Store, log: Logger): FcmHandler {
    let creds = conf.credentials as Record<string, unknown> | undefined;
    if (!creds && typeof conf.credentials_file === 'string' && conf.credentials_file) {
      try {
        creds = JSON.parse(readFileSync(conf.credentials_file, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new ConfigError(`${key}.credentials_file`, `cannot read it (${(err as Error).message})`, 'the JSON file of a Firebase service account');
      }
    }
    if (!creds || typeof creds.private_key !== 'string' || typeof creds.client_email !== 'string') {
      throw new ConfigError(`${key}.credentials`, 'missing or incomplete', 'a Firebase service account (private_key, client_email, token_uri) or credentials_file');
    }
    const project = typeof conf.project_id === 'string' && conf.project_id ? conf.project_id : String(creds.project_id ?? '');
    if (!project) throw new ConfigError(`${key}.project_id`, 'missing', 'the Firebase project id');
    const account: ServiceAccount = {
      private_key: creds.private_key,
      client_email: creds.client_email,
      private_key_id: typeof creds.private_key_id === 'string' ? creds.private_key_id : undefined,
      token_uri: typeof creds.token_uri === 'string' && creds.token_uri ? creds.token_uri : 'https://oauth2.googleapis.com/token',
    };
    const endpoint = typeof conf.endpoint === 'string' && conf.endpoint ? conf.endpoint.replace(/\/$/, '') : 'https://fcm.googleapis.com';
    const ttl = typeof conf.time_to_live === 'number' && conf.time_to_live > 0 ? conf.time_to_live : 3600;
    return new FcmHandler(account, project, endpoint, ttl, store, log);
  }

  /** An OAuth access token for the service account, renewed a minute before it expires. */
  private async accessToken(): Promise<string> {
    if (this.token && this.token.expires > Date.now() + 60_000) return this.token.value;
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(this.account.private_key_id ? { kid: this.account.private_key_id } : {}) }));
    const claims = b64url(JSON.stringify({ iss: this.account.client_email, scope: SCOPE, aud: this.account.token_uri, iat: now, exp: now + 3600 }));
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(this.account.private_key).toString('base64url');
    const res = await fetch(this.account.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${header}.${claims}.${signature}` }),
    });
    if (!res.ok) throw new Error(`token exchange failed: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new Error('token exchange gave no access_token');
    this.token = { value: body.access_token, expires: Date.now() + (body.expires_in ?? 3600) * 1000 };
    return this.token.value;
  }

  async push(rcpt: PushReceipt): Promise<void> {
    const sends: { uid: bigint; device: string; message: Record<string, unknown> }[] = [];
    for (const [uid, r] of rcpt.to) {
      if (!r.devices?.length) continue;
      const payload = payloadFor(rcpt.payload, uid);
      const silent = r.delivered > 0;
      const data = fcmData(payload, silent);
      for (const device of r.devices) {
        const message: Record<string, unknown> = data.webrtc
          ? callMessage(device, data, r.unread)
          : {
              token: device,
              data,
              android: { priority: 'high', ttl: `${this.ttlSeconds}s` },
              apns: {
                headers: { 'apns-priority': data.silent ? '5' : '10' },
                payload: { aps: { badge: r.unread, 'content-available': 1, ...(data.silent ? {} : { alert: { title: payload.from, body: data.content ?? '' } }) } },
              },
              webpush: { headers: { TTL: String(this.ttlSeconds) } },
            };
        sends.push({ uid, device, message });
      }
    }
    if (sends.length === 0) return;
    const token = await this.accessToken();
    const url = `${this.endpoint}/v1/projects/${encodeURIComponent(this.project)}/messages:send`;
    for (const s of sends) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ message: s.message }),
      });
      if (res.ok) continue;
      const text = await res.text();
      let code = '';
      try {
        const err = (JSON.parse(text) as { error?: { status?: string; details?: { errorCode?: string }[] } }).error;
        code = err?.details?.find((d) => d.errorCode)?.errorCode ?? err?.status ?? '';
      } catch {
        code = '';
      }
      if (code === 'UNREGISTERED' || code === 'NOT_FOUND') {
        this.log.info(`push fcm: forgetting an unregistered device of a user`);
        await this.store.devices.delete(s.uid, s.device).catch(() => undefined);
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        this.log.warn(`push fcm: service unavailable (${res.status}); the rest of this batch is not sent`);
        return;
      }
      this.log.warn(`push fcm: send failed: ${res.status} ${code || text.slice(0, 200)}`);
      return;
    }
  }

  stop(): void {}
}
