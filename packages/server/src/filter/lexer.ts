/** Tokens of the filter language (a subset of HashiCorp go-bexpr, spec §6.16). */
import { FilterError } from './filter-error.js';

/** One token with its position (for error messages). */
export type Token =
  | { readonly kind: 'word'; readonly text: string; readonly pos: number }
  | { readonly kind: 'string'; readonly text: string; readonly pos: number }
  | { readonly kind: 'op'; readonly text: '==' | '!=' | '(' | ')' | '.' | '[' | ']'; readonly pos: number }
  | { readonly kind: 'end'; readonly pos: number };

const WORD = /[A-Za-z0-9_\-+:/@]/;

/** Splits an expression into tokens. @throws FilterError on an unterminated string or stray character. */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ kind: 'op', text: two, pos: i });
      i += 2;
      continue;
    }
    if (c === '(' || c === ')' || c === '.' || c === '[' || c === ']') {
      tokens.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    if (c === '"') {
      const start = i;
      let text = '';
      i++;
      for (;;) {
        if (i >= input.length) throw new FilterError(`unterminated string starting at position ${start}`);
        const d = input[i]!;
        if (d === '"') break;
        if (d === '\\') {
          const e = input[i + 1];
          if (e === undefined) throw new FilterError(`unterminated string starting at position ${start}`);
          text += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
          continue;
        }
        text += d;
        i++;
      }
      i++;
      tokens.push({ kind: 'string', text, pos: start });
      continue;
    }
    if (c === '`') {
      const end = input.indexOf('`', i + 1);
      if (end < 0) throw new FilterError(`unterminated string starting at position ${i}`);
      tokens.push({ kind: 'string', text: input.slice(i + 1, end), pos: i });
      i = end + 1;
      continue;
    }
    if (WORD.test(c)) {
      const start = i;
      while (i < input.length && WORD.test(input[i]!)) i++;
      tokens.push({ kind: 'word', text: input.slice(start, i), pos: start });
      continue;
    }
    throw new FilterError(`unexpected character ${JSON.stringify(c)} at position ${i}`);
  }
  tokens.push({ kind: 'end', pos: input.length });
  return tokens;
}
