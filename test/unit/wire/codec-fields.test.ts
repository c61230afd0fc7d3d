import { MapField, type Type } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ALL_FIELDS, PART_FIELDS, SERVER_FIELDS } from '../../../src/wire/codec/fields.js';
import { serverMessageToJson } from '../../../src/wire/codec/json-encode.js';
import { protoRoot } from '../../../src/wire/codec/proto-codec.js';
import { SERVER_SAMPLES } from './golden/samples.js';

/** The field description against proto/model.proto: names, numbers and types of every message. */
function typeWord(t: Type, name: string): string {
  const f = t.fields[name]!;
  if (f instanceof MapField) return `map<${f.keyType},${f.type}>`;
  return f.repeated ? `repeated ${f.type}` : f.type;
}

describe('codec field description', () => {
  for (const [message, fields] of Object.entries(ALL_FIELDS)) {
    it(`describes pbx.${message} as model.proto does`, () => {
      const t = protoRoot().lookupType(`pbx.${message}`);
      const described = Object.values(fields)
        .filter((f) => f[1] !== null)
        .map(([, name, no, type]) => ({ name, no, type }))
        .sort((a, b) => a.no - b.no);
      const actual = t.fieldsArray.map((f) => ({ name: f.name, no: f.id, type: typeWord(t, f.name) })).sort((a, b) => a.no - b.no);
      expect(described).toEqual(actual);
    });
  }
  it('gives every model field one JSON name at most once per message', () => {
    for (const fields of Object.values(ALL_FIELDS)) {
      const json = Object.values(fields).map((f) => f[0]).filter((n) => n !== null);
      expect(new Set(json).size).toBe(json.length);
    }
  });
  it('names every key the JSON encoder writes', () => {
    const jsonNames = (fields: Readonly<Record<string, readonly [string | null, ...unknown[]]>>) =>
      new Set(Object.values(fields).flatMap(([json]) => (json === null ? [] : [json.split('.')[0]!])));
    const nested: Record<string, Readonly<Record<string, readonly [string | null, ...unknown[]]>>> = {
      desc: PART_FIELDS.TopicDesc,
      sub: PART_FIELDS.TopicSub,
      del: PART_FIELDS.DelValues,
      cred: PART_FIELDS.ServerCred,
      acs: PART_FIELDS.AccessMode,
      dacs: PART_FIELDS.AccessMode,
      defacs: PART_FIELDS.DefaultAcsMode,
    };
    const free = new Set(['params', 'head', 'content', 'public', 'trusted', 'private', 'aux', 'payload']);
    const check = (v: unknown, fields: Readonly<Record<string, readonly [string | null, ...unknown[]]>>, path: string): void => {
      for (const item of Array.isArray(v) ? v : [v]) {
        for (const [k, x] of Object.entries(item as Record<string, unknown>)) {
          expect(jsonNames(fields).has(k), `${path}.${k}`).toBe(true);
          const inner = nested[k];
          if (inner && !free.has(k) && typeof x === 'object' && x !== null) check(x, inner, `${path}.${k}`);
        }
      }
    };
    const byKind: Record<string, Readonly<Record<string, readonly [string | null, ...unknown[]]>>> = {
      ctrl: SERVER_FIELDS.ServerCtrl,
      data: SERVER_FIELDS.ServerData,
      pres: SERVER_FIELDS.ServerPres,
      meta: SERVER_FIELDS.ServerMeta,
      info: SERVER_FIELDS.ServerInfo,
    };
    for (const [name, msg] of Object.entries(SERVER_SAMPLES)) {
      for (const [kind, body] of Object.entries(serverMessageToJson(msg))) {
        check(body, byKind[kind]!, name);
      }
    }
  });
});
