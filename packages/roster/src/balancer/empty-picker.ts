/** The picker of an empty pool. */
import type { Picker } from './balancer.js';

/** A picker with no instances: `pick()` returns `undefined`. Published while nothing is offerable. */
export const emptyPicker: Picker = Object.freeze({
  instances: Object.freeze([]),
  pick: () => undefined,
});
