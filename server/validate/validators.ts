import { randomInt } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Uid } from '../../src/model/uid.js';
import type { Logger } from '../log/log.js';
import type { CredValidator } from './validator.js';
import { StoreError } from '../store/contract/errors.js';
import type { Store } from '../store/store.js';
import { fill, pickLanguage } from './templates.js';

/**
 * Credential validators of `acc_validation`: email (codes sent over SMTP) and tel (phone numbers
 * in E.164; codes are logged, as no SMS gateway is configured). Both accept `debug_response` as
 * a valid code (for demos and tests: remove it in production) and refuse after `max_retries`
 * wrong answers. Without an `smtp_server`, email codes are logged instead of mailed.
 */
interface CommonConfig {
  host_url?: string;
  languages?: string[];
  max_retries?: number;
  debug_response?: string;
  code_length?: number;
}

export interface EmailConfig extends CommonConfig {
  smtp_server?: string;
  smtp_port?: string | number;
  sender?: string;
  login?: string;
  sender_password?: string;
  auth_mechanism?: string;
  smtp_helo_host?: string;
  insecure_skip_verify?: boolean;
  domains?: string[];
}

export type TelConfig = CommonConfig;

const MAX_EMAIL_LENGTH = 128;
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

abstract class CodeValidator implements CredValidator {
  protected readonly maxRetries: number;
  protected readonly codeLength: number;
  protected readonly hostUrl: string;

  constructor(
    protected readonly method: string,
    protected readonly cfg: CommonConfig,
    protected readonly store: Store,
    protected readonly log: Logger,
  ) {
    this.maxRetries = cfg.max_retries || 3;
    this.codeLength = cfg.code_length || 6;
    this.hostUrl = cfg.host_url || 'http://localhost:6060/';
  }

  abstract preCheck(value: string, params?: Record<string, unknown>): string;

  /** Delivers a message to the credential's owner. */
  protected abstract deliver(to: string, subject: string, text: string): Promise<void>;

  protected newCode(): string {
    return String(randomInt(10 ** this.codeLength)).padStart(this.codeLength, '0');
  }

  protected normalize(value: string): string {
    return value;
  }

  async request(uid: Uid, value: string, lang: string, resp: string, tmpToken: Buffer): Promise<boolean> {
    if (resp) {
      throw new StoreError('failed');
    }
    const normalized = this.normalize(value);
    const code = this.newCode();
    const now = new Date();
    const isNew = await this.store.creds.upsert({ user: uid, method: this.method, value: normalized, resp: code, done: false, retries: 0, createdAt: now, updatedAt: now });
    const pack = pickLanguage(lang, this.cfg.languages ?? ['en']);
    const vars = { Code: code, HostUrl: this.hostUrl, Token: encodeURIComponent(tmpToken.toString('base64')) };
    this.send(normalized, fill(pack.validation.subject, vars), fill(this.method === 'tel' ? pack.sms : pack.validation.text, vars));
    return isNew;
  }

  async resetSecret(value: string, scheme: string, lang: string, code: Buffer, params: Record<string, unknown>): Promise<void> {
    const normalized = this.normalize(value);
    const pack = pickLanguage(lang, this.cfg.languages ?? ['en']);
    const vars = { Login: typeof params.login === 'string' ? params.login : '', Code: code.toString('utf8'), Cred: normalized, Scheme: scheme, HostUrl: this.hostUrl };
    this.send(normalized, fill(pack.reset.subject, vars), fill(this.method === 'tel' ? pack.sms : pack.reset.text, vars));
  }

  /** Hands a message to delivery without making the request wait for it; failures are logged. */
  private send(to: string, subject: string, text: string): void {
    this.deliver(to, subject, text).catch((err: unknown) => this.log.error(`${this.method}: sending to ${to} failed: ${String(err)}`));
  }

  async check(uid: Uid, resp: string): Promise<string> {
    const cred = await this.store.creds.getActive(uid, this.method);
    if (!cred) {
      throw new StoreError('not-found');
    }
    if (cred.retries > this.maxRetries) {
      throw new StoreError('policy');
    }
    if (!resp) {
      throw new StoreError('credentials');
    }
    if (resp === cred.resp || (this.cfg.debug_response && resp === this.cfg.debug_response)) {
      await this.store.creds.confirm(uid, this.method);
      return cred.value;
    }
    await this.store.creds.fail(uid, this.method);
    throw new StoreError('credentials');
  }

  async remove(uid: Uid, value: string): Promise<void> {
    await this.store.creds.delete(uid, this.method, this.normalize(value));
  }

  tempAuthScheme(): string {
    return 'code';
  }
}

export class EmailValidator extends CodeValidator {
  private readonly transport: Transporter | null;

  constructor(cfg: EmailConfig, store: Store, log: Logger) {
    super('email', cfg, store, log);
    const ecfg = cfg;
    if (ecfg.smtp_server) {
      this.transport = nodemailer.createTransport({
        host: ecfg.smtp_server,
        port: Number(ecfg.smtp_port ?? 25),
        secure: Number(ecfg.smtp_port) === 465,
        name: ecfg.smtp_helo_host || new URL(this.hostUrl).hostname,
        ...(ecfg.login ? { auth: { user: ecfg.login, pass: ecfg.sender_password ?? '' } } : {}),
        ...(ecfg.auth_mechanism && ecfg.login ? { authMethod: ecfg.auth_mechanism.toUpperCase() } : {}),
        tls: { rejectUnauthorized: !ecfg.insecure_skip_verify },
      });
    } else {
      this.transport = null;
      log.warn('email validation: no smtp_server configured, codes are written to the log instead of mailed');
    }
  }

  private get ecfg(): EmailConfig {
    return this.cfg as EmailConfig;
  }

  protected override normalize(value: string): string {
    return value.toLowerCase();
  }

  preCheck(value: string): string {
    if (value.length > MAX_EMAIL_LENGTH || !EMAIL.test(value)) {
      throw new StoreError('malformed');
    }
    const addr = value.toLowerCase();
    const domains = this.ecfg.domains ?? [];
    if (domains.length > 0 && !domains.includes(addr.slice(addr.indexOf('@') + 1))) {
      throw new StoreError('policy');
    }
    return `email:${addr}`;
  }

  protected async deliver(to: string, subject: string, text: string): Promise<void> {
    if (!this.transport) {
      this.log.info(`email to ${to}: ${subject}: ${text.replace(/\n+/g, ' ').trim()}`);
      return;
    }
    await this.transport.sendMail({ from: this.ecfg.sender ?? '"Tinode" <noreply@example.com>', to, subject, text });
  }

  close(): void {
    this.transport?.close();
  }
}

export class TelValidator extends CodeValidator {
  constructor(cfg: TelConfig, store: Store, log: Logger) {
    super('tel', cfg, store, log);
  }

  preCheck(value: string, params?: Record<string, unknown>): string {
    const country = typeof params?.countryCode === 'string' && params.countryCode ? params.countryCode : 'US';
    if (!/^[+\d\s().-]{2,}$/.test(value) || !/\d/.test(value)) {
      throw new StoreError('malformed');
    }
    const phone = parsePhoneNumberFromString(value, country as Parameters<typeof parsePhoneNumberFromString>[1]);
    if (!phone || !phone.isValid()) {
      throw new StoreError('malformed');
    }
    const type = phone.getType();
    if (type !== 'MOBILE' && type !== 'FIXED_LINE_OR_MOBILE') {
      throw new StoreError('malformed');
    }
    return `tel:${phone.number}`;
  }

  protected async deliver(to: string, _subject: string, text: string): Promise<void> {
    this.log.info(`sms to ${to}: ${text}`);
  }
}
