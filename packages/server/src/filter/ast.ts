/** The syntax tree of a filter expression. */

/** A path into the filtered object: `Service.Meta.env` → ['Service', 'Meta', 'env']. */
export type Selector = readonly string[];

/** A comparison or test on one selector. */
export type MatchOperator =
  '==' | '!=' | 'in' | 'not in' | 'contains' | 'not contains' | 'is empty' | 'is not empty' | 'matches' | 'not matches';

/** A node of the tree. */
export type Expression =
  | { readonly type: 'and'; readonly left: Expression; readonly right: Expression }
  | { readonly type: 'or'; readonly left: Expression; readonly right: Expression }
  | { readonly type: 'not'; readonly operand: Expression }
  | {
      readonly type: 'match';
      readonly selector: Selector;
      readonly operator: MatchOperator;
      readonly value: string | undefined;
      readonly regex?: RegExp;
    };
