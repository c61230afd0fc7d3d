import { describe, expect, it } from 'vitest';
import {
  applyModeMutation,
  MODE_CAUTH,
  MODE_CFULL,
  MODE_CP2P,
  MODE_CPUBLIC,
  MODE_NONE,
  MODE_UNSET,
  modeDelta,
  modeToString,
  parseMode,
} from '../../../src/model/access.js';

describe('access modes', () => {
  it('prints the letters in Tinode order', () => {
    expect(modeToString(MODE_CFULL)).toBe('JRWPASDO');
    expect(modeToString(MODE_CPUBLIC)).toBe('JRWPS');
    expect(modeToString(MODE_CP2P)).toBe('JRWPA');
    expect(modeToString(MODE_CAUTH)).toBe('JRWPAS');
    expect(modeToString(MODE_NONE)).toBe('N');
  });

  it('parses letters in any order and case', () => {
    expect(parseMode('srwpj')).toBe(MODE_CPUBLIC);
    expect(parseMode('N')).toBe(MODE_NONE);
    expect(parseMode('')).toBe(MODE_UNSET);
    expect(parseMode('JX')).toBeNull();
    expect(parseMode('JN')).toBeNull();
  });

  it('applies assignments and deltas', () => {
    expect(applyModeMutation(MODE_CPUBLIC, 'JR')).toBe(parseMode('JR'));
    expect(modeToString(applyModeMutation(MODE_CPUBLIC, '+AD-W')!)).toBe('JRPASD');
    expect(applyModeMutation(MODE_CPUBLIC, '+Q')).toBeNull();
    expect(applyModeMutation(MODE_CPUBLIC, '')).toBe(MODE_CPUBLIC);
  });

  it('computes deltas that apply back', () => {
    const from = parseMode('JRPAS')!;
    const to = parseMode('JRWS')!;
    expect(modeDelta(from, to)).toBe('+W-PA');
    expect(applyModeMutation(from, modeDelta(from, to))).toBe(to);
    expect(modeDelta(to, to)).toBe('');
  });
});
