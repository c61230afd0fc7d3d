/**
 * The `fnd` query language: words separated by spaces are ANDed, by commas ORed; double quotes
 * keep spaces and commas inside a term. `alice travel,hiking` means alice AND (travel OR hiking)
 * the way the reference parses it: a term followed by a comma joins the OR group; the others are
 * required. Terms are lowercased. Returns null with a reason for a malformed query.
 */
export interface ParsedQuery {
  and: string[];
  or: string[];
}

type Op = 'none' | 'and' | 'or';

export function parseSearchQuery(input: string): ParsedQuery | { error: string } {
  const query = input.trim();
  const chars = [...query];
  const and: string[] = [];
  const or: string[] = [];
  let preOp: Op = 'and';
  let postOp: Op = 'none';
  let quoted = false;
  let start = 0;
  let end = 0;
  let prev: 'ord' | 'and' | 'or' | 'none' = 'none';
  for (let i = 0; i <= chars.length; i++) {
    const ch = chars[i];
    let curr: 'ord' | 'and' | 'or' | 'end';
    if (ch === undefined) {
      curr = 'end';
    } else if (ch === '"') {
      if (quoted) {
        quoted = false;
      } else {
        if (prev === 'ord') {
          return { error: `missing operator at or near ${i}` };
        }
        quoted = true;
      }
      curr = 'ord';
    } else if (!quoted && (ch === ' ' || ch === '\t')) {
      curr = 'and';
    } else if (!quoted && ch === ',') {
      curr = 'or';
    } else {
      curr = 'ord';
    }
    let emit = false;
    switch (curr) {
      case 'or':
        if (postOp === 'or') {
          return { error: `invalid operator sequence at or near ${i}` };
        }
        postOp = 'or';
        if (prev === 'ord') {
          end = i;
        }
        break;
      case 'and':
        if (prev === 'ord') {
          end = i;
          postOp = 'and';
        } else if (postOp !== 'or') {
          postOp = 'and';
        }
        break;
      case 'ord':
        emit = prev === 'or' || prev === 'and';
        break;
      case 'end':
        if (prev === 'ord') {
          end = i;
        }
        emit = true;
        break;
    }
    if (emit) {
      if (quoted && curr === 'end') {
        return { error: `unterminated quoted string at or near ${i}` };
      }
      const op = postOp === 'or' ? 'or' : preOp;
      let s = start;
      let e = end;
      if (chars[s] === '"' && chars[e - 1] === '"') {
        s++;
        e--;
      }
      if (s < e) {
        (op === 'or' ? or : and).push(chars.slice(s, e).join('').toLowerCase());
      }
      start = i;
      preOp = postOp;
      postOp = 'none';
      // Skip separators at the start of the next term.
      while (start < chars.length && (chars[start] === ' ' || chars[start] === '\t' || chars[start] === ',')) {
        start++;
      }
    }
    prev = curr === 'end' ? 'none' : curr;
    if (curr === 'end') {
      break;
    }
  }
  return { and, or };
}
