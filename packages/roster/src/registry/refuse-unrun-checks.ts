/**
 * refuseUnrunChecks(): the guard a backend applies in `register()` so that a check it cannot
 * run is refused up front instead of being stored and never run (the instance would stay
 * `passing` whatever happened to it).
 */
import { InvalidArgumentError } from '../errors.js';
import type { NormalizedRegistration } from '../model.js';
import type { RegistryCapabilities } from './registry.js';

const ADVICE: Record<string, string> = {
  http: 'announce() runs an HTTP check itself on such a registry and reports the result through the lease; roster serve and Consul run it',
  tcp: 'report health from the service with lease.setHealth(); roster serve and Consul run TCP checks',
  ttl: 'use the registration `ttl` instead (the lease expires when the process stops renewing it); roster serve and Consul run TTL checks',
};

/**
 * Throws when `reg` has a check of a kind not in `capabilities.checkKinds`.
 * @throws InvalidArgumentError naming `checks[i]` and the backend.
 */
export function refuseUnrunChecks(reg: NormalizedRegistration, capabilities: RegistryCapabilities): void {
  reg.checks.forEach((check, i) => {
    if (capabilities.checkKinds.includes(check.kind)) return;
    const runs = capabilities.checkKinds.length === 0 ? 'no checks' : `only ${capabilities.checkKinds.join(', ')} checks`;
    throw new InvalidArgumentError(
      `checks[${i}]`,
      `the ${capabilities.backend} registry runs ${runs}, so nothing would run this ${check.kind} check; ${ADVICE[check.kind] ?? ''}`,
    );
  });
}
