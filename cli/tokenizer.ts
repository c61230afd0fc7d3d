/**
 * Splitting a command line into words the way a POSIX shell does: blanks separate words,
 * 'single quotes' keep everything literally, "double quotes" keep blanks and honour
 * backslash before \ " $ and `, a backslash outside quotes escapes the next character, and
 * a # that starts a word begins a comment. Adjacent quoted and unquoted pieces form one word.
 */
export class TokenizeError extends Error {
  override readonly name = 'TokenizeError';
}

const BLANK = /\s/;

export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (BLANK.test(c)) {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) {
        throw new TokenizeError('no closing quotation mark (\')');
      }
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const d = line[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < line.length && '\\"$`'.includes(line[i + 1]!)) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      if (!closed) {
        throw new TokenizeError('no closing quotation mark (")');
      }
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= line.length) {
        throw new TokenizeError('no character after the escape (\\)');
      }
      word += line[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) {
    words.push(word);
  }
  return words;
}

const SAFE = /^[\w@%+=:,./$[\]-]+$/;

/** Quotes a word so that {@link splitWords} gives it back unchanged. */
export function quoteWord(word: string): string {
  if (word !== '' && SAFE.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Joins physical lines into commands: a line ending in a backslash goes on on the next line,
 * the pieces joined with one space, as the reference client does. Lines are trimmed.
 */
export class LineJoiner {
  private partial = '';
  private continued = false;

  /** True while a command waits for its continuation lines. */
  get pending(): boolean {
    return this.continued;
  }

  /** Adds a line; returns the complete command once it is, else null. */
  push(raw: string): string | null {
    let line = raw.trim();
    if (line.endsWith('\\')) {
      line = line.slice(0, -1).trimEnd();
      if (line) {
        this.partial = this.partial ? `${this.partial} ${line}` : line;
      }
      this.continued = true;
      return null;
    }
    if (this.continued) {
      const whole = line ? (this.partial ? `${this.partial} ${line}` : line) : this.partial;
      this.partial = '';
      this.continued = false;
      return whole;
    }
    return line;
  }

  /** What is left at the end of input, if a continuation never came. */
  flush(): string | null {
    if (!this.continued) {
      return null;
    }
    const rest = this.partial;
    this.partial = '';
    this.continued = false;
    return rest;
  }
}
