/**
 * Parser of the filter language (go-bexpr subset):
 *
 *   expr     := or
 *   or       := and ("or" and)*
 *   and      := unary ("and" unary)*
 *   unary    := "not" unary | "(" expr ")" | match
 *   match    := selector ("==" | "!=") value
 *             | selector "is" ["not"] "empty"
 *             | value ["not"] "in" selector
 *             | selector ["not"] ("contains" | "matches") value
 *   selector := word ("." word | "[" string "]")*
 *   value    := string (double quotes or backticks) | word
 */
import type { Expression, MatchOperator, Selector } from './ast.js';
import { FilterError } from './filter-error.js';
import { type Token, tokenize } from './lexer.js';

/** Longest accepted expression, in characters. */
export const FILTER_MAX_LENGTH = 4096;
/** Deepest nesting of parentheses / `not`. */
const MAX_DEPTH = 64;

/** Longest accepted regular expression of `matches`. */
export const REGEX_MAX_LENGTH = 256;

/**
 * Refuses what RE2 (Consul's engine) does not have and what could make a JavaScript regular
 * expression take exponential time on a request's data: backreferences, lookaround, and a
 * repeated group that contains a quantifier or an alternation (`(a+)+`, `(a|aa)*`).
 */
function checkRegex(pattern: string): void {
  if (pattern.length > REGEX_MAX_LENGTH) throw new FilterError(`regular expression longer than ${REGEX_MAX_LENGTH} characters`);
  if (/\\[1-9]|\\k<|\(\?<?[=!]/.test(pattern)) throw new FilterError('backreferences and lookaround are not supported (RE2 syntax)');
  if (/\((?:[^()\\]|\\.)*[*+?{|](?:[^()\\]|\\.)*\)(?:[*+]|\{\d+,)/.test(pattern)) {
    throw new FilterError('nested quantifiers are not supported (they can take exponential time)');
  }
}

/** Parses a filter expression. @throws FilterError naming the problem and its position. */
export function parseFilter(input: string): Expression {
  if (input.length > FILTER_MAX_LENGTH) throw new FilterError(`expression longer than ${FILTER_MAX_LENGTH} characters`);
  const tokens = tokenize(input);
  let pos = 0;
  let depth = 0;

  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const isWord = (t: Token, w: string): boolean => t.kind === 'word' && t.text === w;
  const fail = (t: Token, what: string): never => {
    throw new FilterError(`${what} at position ${t.pos}`);
  };

  function parseOr(): Expression {
    let left = parseAnd();
    while (isWord(peek(), 'or')) {
      next();
      left = { type: 'or', left, right: parseAnd() };
    }
    return left;
  }

  function parseAnd(): Expression {
    let left = parseUnary();
    while (isWord(peek(), 'and')) {
      next();
      left = { type: 'and', left, right: parseUnary() };
    }
    return left;
  }

  function parseUnary(): Expression {
    if (++depth > MAX_DEPTH) fail(peek(), 'expression nested too deeply');
    try {
      const t = peek();
      if (isWord(t, 'not')) {
        next();
        return { type: 'not', operand: parseUnary() };
      }
      if (t.kind === 'op' && t.text === '(') {
        next();
        const inner = parseOr();
        const close = next();
        if (close.kind !== 'op' || close.text !== ')') fail(close, 'expected ")"');
        return inner;
      }
      return parseMatch();
    } finally {
      depth--;
    }
  }

  function parseSelector(): Selector {
    const first = next();
    if (first.kind !== 'word') return fail(first, 'expected a selector');
    const parts = [first.text];
    for (;;) {
      const t = peek();
      if (t.kind === 'op' && t.text === '.') {
        next();
        const part = next();
        if (part.kind !== 'word' && part.kind !== 'string') fail(part, 'expected a field name after "."');
        parts.push((part as { text: string }).text);
      } else if (t.kind === 'op' && t.text === '[') {
        next();
        const key = next();
        if (key.kind !== 'string' && key.kind !== 'word') fail(key, 'expected a key inside "[]"');
        const close = next();
        if (close.kind !== 'op' || close.text !== ']') fail(close, 'expected "]"');
        parts.push((key as { text: string }).text);
      } else {
        return parts;
      }
    }
  }

  function parseValue(): string {
    const t = next();
    if (t.kind === 'string' || t.kind === 'word') return t.text;
    return fail(t, 'expected a value');
  }

  function parseMatch(): Expression {
    const start = pos;
    // Try "value [not] in selector" first: a value followed by `in` / `not in`.
    const first = peek();
    if (first.kind === 'string' || first.kind === 'word') {
      const after = tokens[pos + 1]!;
      const after2 = tokens[pos + 2];
      if (isWord(after, 'in') || (isWord(after, 'not') && after2 !== undefined && isWord(after2, 'in'))) {
        const value = parseValue();
        const negated = isWord(peek(), 'not');
        if (negated) next();
        next(); // in
        return match(parseSelector(), negated ? 'not in' : 'in', value);
      }
    }
    pos = start;
    const selector = parseSelector();
    const t = next();
    if (t.kind === 'op' && (t.text === '==' || t.text === '!=')) return match(selector, t.text, parseValue());
    if (isWord(t, 'is')) {
      const n = next();
      if (isWord(n, 'empty')) return match(selector, 'is empty', undefined);
      if (isWord(n, 'not') && isWord(next(), 'empty')) return match(selector, 'is not empty', undefined);
      return fail(n, 'expected "empty" or "not empty" after "is"');
    }
    let negated = false;
    let op = t;
    if (isWord(t, 'not')) {
      negated = true;
      op = next();
    }
    if (isWord(op, 'contains')) return match(selector, negated ? 'not contains' : 'contains', parseValue());
    if (isWord(op, 'matches')) return match(selector, negated ? 'not matches' : 'matches', parseValue());
    return fail(op, 'expected an operator (==, !=, is empty, contains, matches, in)');
  }

  function match(selector: Selector, operator: MatchOperator, value: string | undefined): Expression {
    if (operator === 'matches' || operator === 'not matches') {
      checkRegex(value ?? '');
      let regex: RegExp;
      try {
        regex = new RegExp(value ?? '');
      } catch (e) {
        throw new FilterError(`invalid regular expression ${JSON.stringify(value)}: ${(e as Error).message}`);
      }
      return { type: 'match', selector, operator, value, regex };
    }
    return { type: 'match', selector, operator, value };
  }

  const tree = parseOr();
  const end = peek();
  if (end.kind !== 'end') fail(end, 'unexpected input');
  return tree;
}
