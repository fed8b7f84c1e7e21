import { describe, expect, it } from 'vitest';
import { consulError } from './consul-http.js';

describe('consulError maps Consul answers to roster errors', () => {
  it.each([
    [404, 'ROSTER_ERR_NOT_FOUND', false],
    [401, 'ROSTER_ERR_ACCESS_DENIED', false],
    [403, 'ROSTER_ERR_ACCESS_DENIED', false],
    [400, 'ROSTER_ERR_INVALID_ARGUMENT', false],
    [429, 'ROSTER_ERR_REGISTRY_UNAVAILABLE', true],
    [500, 'ROSTER_ERR_REGISTRY_UNAVAILABLE', true],
    [503, 'ROSTER_ERR_REGISTRY_UNAVAILABLE', true],
  ])('%i → %s', (status, code, retryable) => {
    const error = consulError(status, 'Permission denied: token lacks service:write', 'register web/1');
    expect(error).toMatchObject({ code, retryable });
    expect(error.message).toContain(`register web/1: Consul answered ${status} (Permission denied`);
  });
});
