/**
 * What one committed batch changed, in order. Consumed after the commit by the check supervisor,
 * the event stream and the metrics; never before (a change is not real until it is durable).
 */
import type { CheckRecord, InstanceRecord } from './types.js';

/** Why a service instance was removed. */
export type RemovalReason = 'deregistered' | 'critical-timeout';

/** One change of the catalog. `index` is the index the change was committed at. */
export type CatalogChange =
  | {
      readonly kind: 'service-put';
      readonly index: number;
      readonly service: InstanceRecord;
      readonly previous: InstanceRecord | undefined;
    }
  | { readonly kind: 'service-delete'; readonly index: number; readonly service: InstanceRecord; readonly reason: RemovalReason }
  | { readonly kind: 'check-put'; readonly index: number; readonly check: CheckRecord; readonly previous: CheckRecord | undefined }
  | { readonly kind: 'check-delete'; readonly index: number; readonly check: CheckRecord };
