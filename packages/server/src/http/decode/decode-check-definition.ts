/** Decoding of `PUT /v1/agent/check/register` bodies (Consul's CheckDefinition, spec §6.6). */
import { validateRegistration } from '@rosterjs/roster';
import type { CheckInput } from '../../catalog/types.js';
import { badRequest, ServerErrorCode } from '../../errors.js';
import { type CheckDecodeOptions, decodeCheck, toDefinition } from './decode-check.js';
import { parseJsonObject } from './fields.js';
import { toApiError } from './validation-error.js';

/**
 * Decodes and validates a standalone check.
 * @throws ApiError 400 `Missing check name`, `Bad check status`, `Invalid check: ...`, decode errors.
 */
export function decodeCheckDefinition(body: Buffer | undefined, options: CheckDecodeOptions): CheckInput {
  const f = parseJsonObject(body, 'structs.CheckDefinition');
  const name = f.string('Name') ?? '';
  if (name === '') throw badRequest('Missing check name', ServerErrorCode.InvalidCheck);
  const id = f.string('ID') || f.string('CheckID', 'check_id') || name;
  const serviceId = f.string('ServiceID', 'service_id') ?? '';
  const decoded = decodeCheck(f, id, 'Bad check status', options);
  let normalized: ReturnType<typeof validateRegistration>;
  try {
    // The library validates checks as part of a registration; the service fields are placeholders.
    normalized = validateRegistration(
      { service: 'check', address: '127.0.0.1', port: 1, checks: [decoded.check] },
      { allowReserved: true },
    );
  } catch (error) {
    throw toApiError(error);
  }
  const check = normalized.checks[0]!;
  return {
    id: check.id,
    name: check.name,
    notes: decoded.notes,
    serviceId,
    status: check.status,
    output: '',
    definition: toDefinition(check, decoded.extras),
  };
}
