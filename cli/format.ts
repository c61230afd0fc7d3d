import type { ChalkInstance } from 'chalk';
import type { ClientMessage } from '../src/wire/client-messages.js';
import { serverMessageToJson } from '../src/wire/codec/json-encode.js';
import type { CtrlMsg, DataMsg, InfoMsg, MetaMsg, PresMsg, ServerMessage, TopicSubMsg } from '../src/wire/server-messages.js';

/**
 * How the client shows things: replies and other server messages as `<= ...` lines, commands
 * sent from scripts as `=> ...`, and in verbose mode every message as JSON.
 */

/** Strings longer than 64 characters are shortened in logs, as the reference client does. */
export function clipLong(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.length > 64 ? `<${value.length} bytes: ${value.slice(0, 12)}...${value.slice(-12)}>` : value;
  }
  if (Buffer.isBuffer(value)) {
    return clipLong(value.toString('base64'));
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    return value.map(clipLong);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipLong(v)]));
  }
  return value;
}

/** A client message as the JSON protocol writes it, long values shortened. */
export function clientMessageJson(msg: ClientMessage): string {
  const body: Record<string, unknown> = {};
  if (msg.id) body.id = msg.id;
  if (msg.topic) body.topic = msg.topic;
  Object.assign(body, msg.body);
  const packet: Record<string, unknown> = { [msg.type]: body };
  if (msg.extra) packet.extra = msg.extra;
  return JSON.stringify(clipLong(packet));
}

export function serverMessageJson(msg: ServerMessage): string {
  return JSON.stringify(clipLong(serverMessageToJson(msg)));
}

/** A value for people: strings as they are, the rest as compact JSON. */
export function show(value: unknown): string {
  if (value === undefined) return 'null';
  if (typeof value === 'string') return value;
  return JSON.stringify(clipLong(value));
}

function codeColor(c: ChalkInstance, code: number): ChalkInstance {
  return code < 300 ? c.green : code < 400 ? c.yellow : c.red;
}

function fnOf(pub: unknown): string | undefined {
  if (typeof pub === 'object' && pub !== null && typeof (pub as { fn?: unknown }).fn === 'string') {
    return (pub as { fn: string }).fn;
  }
  return typeof pub === 'string' ? pub : undefined;
}

export function formatCtrl(c: ChalkInstance, ctrl: CtrlMsg): string {
  const topic = ctrl.topic ? ` (${ctrl.topic})` : '';
  return `${c.dim('<=')} ${codeColor(c, ctrl.code)(`${ctrl.code} ${ctrl.text ?? ''}`.trimEnd())}${topic}`;
}

function formatSub(sub: TopicSubMsg): string {
  const who = sub.topic ?? sub.user ?? '?';
  const parts = [who];
  const fn = fnOf(sub.public);
  if (fn) parts.push(JSON.stringify(fn));
  const acs = sub.acs;
  if (acs.mode || acs.given || acs.want) parts.push(`acs=${acs.mode ?? `${acs.want ?? ''}/${acs.given ?? ''}`}`);
  if (sub.seq) parts.push(`seq=${sub.seq}`);
  if (sub.online) parts.push('online');
  return parts.join(' ');
}

/** `{meta}`: what it holds, then a short line for each part. */
export function formatMeta(c: ChalkInstance, meta: MetaMsg): string[] {
  const what: string[] = [];
  if (meta.sub?.length) what.push('sub');
  if (meta.desc) what.push('desc');
  if (meta.del) what.push('del');
  if (meta.tags?.length) what.push('tags');
  if (meta.cred?.length) what.push('cred');
  if (meta.aux) what.push('aux');
  const lines = [`${c.dim('<=')} ${c.blue('meta')} ${what.join(',')} ${meta.topic}`];
  const d = meta.desc;
  if (d) {
    const parts: string[] = [];
    const fn = fnOf(d.public);
    if (fn) parts.push(`fn=${JSON.stringify(fn)}`);
    if (d.acs && (d.acs.mode || d.acs.want || d.acs.given)) parts.push(`acs=${d.acs.mode ?? `${d.acs.want ?? ''}/${d.acs.given ?? ''}`}`);
    if (d.defacs) parts.push(`defacs=auth:${d.defacs.auth ?? ''},anon:${d.defacs.anon ?? ''}`);
    if (d.seq) parts.push(`seq=${d.seq}`);
    if (d.private !== undefined) parts.push(`private=${show(d.private)}`);
    if (d.trusted !== undefined) parts.push(`trusted=${show(d.trusted)}`);
    if (d.state) parts.push(`state=${d.state}`);
    lines.push(`   desc: ${parts.join(' ')}`);
  }
  for (const sub of meta.sub ?? []) {
    lines.push(`   sub: ${formatSub(sub)}`);
  }
  if (meta.tags?.length) lines.push(`   tags: ${meta.tags.join(', ')}`);
  for (const cred of meta.cred ?? []) {
    lines.push(`   cred: ${cred.meth ?? ''}:${cred.val ?? ''}${cred.done ? ' (confirmed)' : ' (not confirmed)'}`);
  }
  if (meta.del) lines.push(`   del: clear=${meta.del.clear ?? 0} ${show(meta.del.delseq ?? [])}`);
  return lines;
}

export function formatData(c: ChalkInstance, data: DataMsg): string {
  const head = data.head && Object.keys(data.head).length > 0 ? ` ${c.dim(show(data.head))}` : '';
  const from = data.from ? ` from ${data.from}` : '';
  return `${c.dim('<=')} ${c.magenta('data')} ${data.topic} #${data.seq}${from}${head}: ${c.bold(show(data.content))}`;
}

export function formatPres(c: ChalkInstance, pres: PresMsg): string {
  const extra: string[] = [];
  if (pres.src) extra.push(`src=${pres.src}`);
  if (pres.seq) extra.push(`seq=${pres.seq}`);
  if (pres.tgt) extra.push(`tgt=${pres.tgt}`);
  if (pres.dacs) extra.push(`dacs=${show(pres.dacs)}`);
  return `${c.dim('<=')} ${c.cyan('pres')} ${pres.what} ${pres.topic}${extra.length ? ` ${extra.join(' ')}` : ''}`;
}

export function formatInfo(c: ChalkInstance, info: InfoMsg): string {
  const seq = info.seq ? ` #${info.seq}` : '';
  return `${c.dim('<=')} ${c.cyan('info')} ${info.what}${seq} by ${info.from ?? '?'} in ${info.topic}${info.event ? ` event=${info.event}` : ''}`;
}

/** The lines to print for a server message. */
export function formatServerMessage(c: ChalkInstance, msg: ServerMessage): string[] {
  if ('ctrl' in msg) return [formatCtrl(c, msg.ctrl)];
  if ('meta' in msg) return formatMeta(c, msg.meta);
  if ('data' in msg) return [formatData(c, msg.data)];
  if ('pres' in msg) return [formatPres(c, msg.pres)];
  return [formatInfo(c, msg.info)];
}

/** Server parameters from the reply to {hi}. */
export function formatServerParams(params: Record<string, unknown> | undefined): string {
  const parts = Object.entries(params ?? {}).map(([k, v]) => `${k}: ${show(v)}`);
  return `Connected to server: ${parts.join('; ')}`;
}
