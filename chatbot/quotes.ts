import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';

/**
 * The bot's quotes. A quotes file is plain UTF-8 text in one of two layouts:
 *
 * - one quote per line (blank lines are skipped), as the reference chatbot reads `quotes.txt`;
 * - the layout of classic `fortune` files: quotes of any number of lines, separated by lines
 *   holding only `%`. A file with at least one such line is read this way.
 *
 * Either way, surrounding white space is trimmed (line breaks inside a fortune are kept) and
 * Windows line ends and a byte order mark are accepted.
 */

/** A quotes file that cannot be used: missing, unreadable or without a single quote. */
export class QuotesError extends Error {
  override readonly name = 'QuotesError';
}

const SEPARATOR = /^%\s*$/;

/** The quotes in a text, in either layout. */
export function parseQuotes(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  if (!lines.some((line) => SEPARATOR.test(line))) {
    return lines.map((line) => line.trim()).filter((line) => line !== '');
  }
  const quotes: string[] = [];
  let block: string[] = [];
  const flush = () => {
    const quote = block
      .map((line) => line.trimEnd())
      .join('\n')
      .trim();
    if (quote !== '') quotes.push(quote);
    block = [];
  };
  for (const line of lines) {
    if (SEPARATOR.test(line)) flush();
    else block.push(line);
  }
  flush();
  return quotes;
}

/** The quotes of a file; {@link QuotesError} when there are none to use. */
export function loadQuotes(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new QuotesError(`cannot read the quotes file ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`);
  }
  const quotes = parseQuotes(text);
  if (quotes.length === 0) {
    throw new QuotesError(`the quotes file ${path} holds no quotes (write one per line, or separate them with lines of "%")`);
  }
  return quotes;
}

/** The bundled quotes, `chatbot/quotes.txt` in the package folder. */
export function defaultQuotesPath(): string {
  return join(packageRoot(), 'chatbot', 'quotes.txt');
}

/** Picks quotes at random, never the same one twice in a row (when there is more than one). */
export class QuotePicker {
  private last = -1;

  constructor(
    private readonly quotes: readonly string[],
    private readonly random: () => number = Math.random,
  ) {
    if (quotes.length === 0) throw new QuotesError('no quotes to pick from');
  }

  get size(): number {
    return this.quotes.length;
  }

  next(): string {
    const n = this.quotes.length;
    let i = Math.floor(this.random() * n) % n;
    if (n > 1 && i === this.last) {
      // Any other one, still uniformly: shift by 1..n-1.
      i = (i + 1 + (Math.floor(this.random() * (n - 1)) % (n - 1))) % n;
    }
    this.last = i;
    return this.quotes[i]!;
  }
}
