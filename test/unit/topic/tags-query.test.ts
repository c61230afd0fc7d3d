import { describe, expect, it } from 'vitest';
import { parseSearchQuery } from '../../../server/topic/search-query.js';
import { filterTags, hasDuplicateNamespaceTags, normalizeTags, restrictedTagsEqual, tagDelta, validateTag } from '../../../src/model/tags.js';

describe('tags', () => {
  it('normalizes what clients send', () => {
    expect(normalizeTags([' Travel', 'hiking', 'travel', 'x', '-dash', 'email:A@B.C'], 16)).toEqual(['email:a@b.c', 'hiking', 'travel']);
    expect(normalizeTags(['a1', 'b2', 'c3'], 2)).toEqual(['a1', 'b2']);
    expect(normalizeTags(['\u2421'], 16)).toEqual([]);
    expect(normalizeTags(undefined, 16)).toBeNull();
  });

  it('splits prefixed tags and refuses bad ones', () => {
    expect(validateTag('email:alice@example.com')).toEqual(['email', 'alice@example.com']);
    expect(validateTag('travel')).toEqual(['', 'travel']);
    expect(validateTag('has space')).toEqual(['', '']);
  });

  it('compares restricted namespaces only', () => {
    const ns = new Set(['email', 'basic']);
    expect(filterTags(['email:a@b.c', 'tel:+1', 'x'], ns)).toEqual(['email:a@b.c']);
    expect(restrictedTagsEqual(['basic:alice', 'x'], ['y', 'basic:alice'], ns)).toBe(true);
    expect(restrictedTagsEqual(['basic:alice'], ['basic:bob'], ns)).toBe(false);
    expect(hasDuplicateNamespaceTags(['alias:a', 'alias:b'], 'alias')).toBe(true);
    expect(tagDelta(['a', 'b'], ['b', 'c'])).toEqual({ added: ['c'], removed: ['a'] });
  });
});

describe('fnd queries', () => {
  it('ANDs words and ORs comma lists', () => {
    expect(parseSearchQuery('alice')).toEqual({ and: ['alice'], or: [] });
    expect(parseSearchQuery('Alice travel')).toEqual({ and: ['alice', 'travel'], or: [] });
    expect(parseSearchQuery('a,b c')).toEqual({ and: ['c'], or: ['a', 'b'] });
    expect(parseSearchQuery('email:alice@example.com, tel:+17025550001')).toEqual({
      and: [],
      or: ['email:alice@example.com', 'tel:+17025550001'],
    });
  });

  it('keeps quoted terms whole and reports malformed ones', () => {
    expect(parseSearchQuery('"new york",boston')).toEqual({ and: [], or: ['new york', 'boston'] });
    expect(parseSearchQuery('"open')).toHaveProperty('error');
    expect(parseSearchQuery('a,,b')).toHaveProperty('error');
    expect(parseSearchQuery('   ')).toEqual({ and: [], or: [] });
  });
});
