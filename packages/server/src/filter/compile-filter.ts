/** One call from a `?filter=` string to a predicate over result objects. */
import { evaluateFilter } from './evaluate-filter.js';
import { parseFilter } from './parse-filter.js';

/** A compiled filter: true keeps the item. */
export type FilterPredicate = (item: unknown) => boolean;

/**
 * Compiles a filter expression; an empty or absent expression keeps everything.
 * @throws FilterError when the expression is invalid.
 */
export function compileFilter(expression: string | null | undefined): FilterPredicate | undefined {
  if (expression === null || expression === undefined || expression.trim() === '') return undefined;
  const tree = parseFilter(expression);
  return (item) => evaluateFilter(tree, item);
}
