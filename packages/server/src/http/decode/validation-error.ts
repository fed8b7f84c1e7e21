/**
 * Turns the library's InvalidArgumentError (roster field names, e.g. `checks[0].interval`) into
 * the 400 answer Consul clients expect, naming the field by its Consul name.
 */
import { type InvalidArgumentError, isRosterError } from '@rosterjs/roster';
import { ApiError, badRequest, invalidCheck, ServerErrorCode } from '../../errors.js';

const CHECK_FIELDS: Record<string, string> = {
  id: 'CheckID',
  name: 'Name',
  status: 'Status',
  url: 'HTTP',
  target: 'TCP',
  interval: 'Interval',
  timeout: 'Timeout',
  ttl: 'TTL',
  method: 'Method',
  headers: 'Header',
  deregisterCriticalAfter: 'DeregisterCriticalServiceAfter',
  successBeforePassing: 'SuccessBeforePassing',
  failuresBeforeWarning: 'FailuresBeforeWarning',
  failuresBeforeCritical: 'FailuresBeforeCritical',
};

const SERVICE_FIELDS: Record<string, string> = {
  service: 'Name',
  id: 'ID',
  address: 'Address',
  port: 'Port',
  tags: 'Tags',
  weight: 'Weights.Passing',
  checks: 'Checks',
};

/** Control characters in a field path (a header name, a meta key) written as JSON escapes. */
const visible = (s: string) => s.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));

/** Maps a validation failure to an ApiError (400); rethrows anything else. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (!isRosterError(error) || error.code !== 'ROSTER_ERR_INVALID_ARGUMENT') throw error;
  const { field: raw, message } = error as InvalidArgumentError;
  const problem = message.startsWith(`${raw}: `) ? message.slice(raw.length + 2) : message;
  const field = visible(raw);
  const check = /^checks\[\d+\](?:\.([A-Za-z]+))?([\s\S]*)$/.exec(field);
  if (check) {
    const name = check[1] === undefined ? 'Check' : (CHECK_FIELDS[check[1]] ?? check[1]);
    return invalidCheck(`${name}${check[2] ?? ''}: ${problem}`);
  }
  if (field === 'meta' || field.startsWith('meta.')) {
    return new ApiError(ServerErrorCode.InvalidService, `Invalid Service Meta: ${field.replace(/^meta/, 'Meta')}: ${problem}`);
  }
  const head = /^([A-Za-z]+)(.*)$/.exec(field);
  const name = head ? (SERVICE_FIELDS[head[1]!] ?? head[1]!) + head[2] : field;
  return badRequest(`Invalid service: ${name}: ${problem}`, ServerErrorCode.InvalidService);
}
