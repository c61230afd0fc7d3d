import { MapField, type Type } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { ALL_FIELDS } from '../../../src/wire/codec/fields.js';
import { protoRoot } from '../../../src/wire/proto-codec.js';

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
});
