/**
 * Evaluation of a parsed filter against one result object in its JSON shape (the selectors are
 * the JSON field names, as in Consul: `Service.Tags`, `Node.Meta.env`, `Checks.Status`).
 * Field names match exactly first, then case-insensitively. A selector that passes through an
 * array of objects (`Checks.Status`) yields the list of the elements' values: `==` is then true
 * when any element matches, `!=` when none does.
 */
import type { Expression, Selector } from './ast.js';

type Resolved = { readonly found: false } | { readonly found: true; readonly value: unknown; readonly projected: boolean };

function field(obj: unknown, name: string): { found: boolean; value: unknown } {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { found: false, value: undefined };
  const rec = obj as Record<string, unknown>;
  if (Object.hasOwn(rec, name)) return { found: true, value: rec[name] };
  const lower = name.toLowerCase();
  for (const key of Object.keys(rec)) if (key.toLowerCase() === lower) return { found: true, value: rec[key] };
  return { found: false, value: undefined };
}

function resolve(root: unknown, selector: Selector): Resolved {
  let values: unknown[] = [root];
  let projected = false;
  for (const part of selector) {
    const out: unknown[] = [];
    let any = false;
    for (const v of values) {
      if (Array.isArray(v) && v.length > 0 && typeof v[0] === 'object') {
        projected = true;
        for (const el of v) {
          const f = field(el, part);
          if (f.found) {
            any = true;
            out.push(f.value);
          }
        }
      } else {
        const f = field(v, part);
        if (f.found) {
          any = true;
          out.push(f.value);
        }
      }
    }
    if (!any && !projected) return { found: false };
    values = out;
  }
  return { found: true, value: projected ? values : values[0], projected };
}

function equals(actual: unknown, expected: string): boolean {
  if (typeof actual === 'string') return actual === expected;
  if (typeof actual === 'number') return expected.trim() !== '' && Number(expected) === actual;
  if (typeof actual === 'boolean') return String(actual) === expected.toLowerCase();
  return false;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string' || Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function contains(container: unknown, value: string): boolean {
  if (typeof container === 'string') return container.includes(value);
  if (Array.isArray(container)) return container.some((v) => equals(v, value));
  if (typeof container === 'object' && container !== null) return Object.hasOwn(container, value);
  return false;
}

/** True when `item` satisfies the expression. */
export function evaluateFilter(expression: Expression, item: unknown): boolean {
  switch (expression.type) {
    case 'and':
      return evaluateFilter(expression.left, item) && evaluateFilter(expression.right, item);
    case 'or':
      return evaluateFilter(expression.left, item) || evaluateFilter(expression.right, item);
    case 'not':
      return !evaluateFilter(expression.operand, item);
    case 'match': {
      const r = resolve(item, expression.selector);
      const value = r.found ? r.value : undefined;
      const projected = r.found && r.projected;
      const v = expression.value ?? '';
      switch (expression.operator) {
        case 'is empty':
          return isEmpty(value);
        case 'is not empty':
          return !isEmpty(value);
        case '==':
          return projected ? (value as unknown[]).some((x) => equals(x, v)) : equals(value, v);
        case '!=':
          return projected ? !(value as unknown[]).some((x) => equals(x, v)) : !equals(value, v);
        case 'in':
        case 'contains':
          return projected ? (value as unknown[]).some((x) => contains(x, v) || equals(x, v)) : contains(value, v);
        case 'not in':
        case 'not contains':
          return projected ? !(value as unknown[]).some((x) => contains(x, v) || equals(x, v)) : !contains(value, v);
        case 'matches':
        case 'not matches': {
          const re = expression.regex!;
          const hit = projected
            ? (value as unknown[]).some((x) => typeof x === 'string' && re.test(x))
            : typeof value === 'string' && re.test(value);
          return expression.operator === 'matches' ? hit : !hit;
        }
      }
    }
  }
}
