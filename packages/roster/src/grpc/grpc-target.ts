/**
 * The `roster:///<service>?tag=…&zone=…&lb=…` target of a grpc-js channel, parsed once when the
 * channel is created.
 */
import { InvalidArgumentError } from '../errors.js';
import { validateServiceName } from '../validate.js';

/** A parsed `roster:` target. */
export interface GrpcTarget {
  readonly service: string;
  /** Only instances carrying every one of these tags (`?tag=a&tag=b`). */
  readonly tags: readonly string[];
  /** Only instances of this zone (`?zone=eu-1`); undefined: any zone. */
  readonly zone: string | undefined;
  /** Load-balancing policy of this target (`?lb=roster_weighted`); undefined: the resolver's default. */
  readonly lb: string | undefined;
}

const QUERY_KEYS = new Set(['tag', 'zone', 'lb']);

/**
 * Parses the path part of a grpc-js URI (`orders?tag=v2` for `roster:///orders?tag=v2`).
 * @throws InvalidArgumentError naming `target` for a bad service name or an unknown parameter.
 */
export function parseGrpcTarget(path: string, authority: string | undefined, scheme: string): GrpcTarget {
  const example = `${scheme}:///<service>?tag=…&zone=…`;
  if (authority !== undefined && authority !== '') {
    throw new InvalidArgumentError('target', `${scheme}: targets name no authority (write ${example}), got authority "${authority}"`);
  }
  const q = path.indexOf('?');
  const name = q < 0 ? path : path.slice(0, q);
  let service: string;
  try {
    service = validateServiceName(decodeURIComponent(name), 'target');
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidArgumentError('target', `${error.message} (write ${example})`);
    throw new InvalidArgumentError('target', `"${name}" is not a service name (write ${example})`);
  }
  const params = new URLSearchParams(q < 0 ? '' : path.slice(q + 1));
  for (const key of params.keys()) {
    if (!QUERY_KEYS.has(key)) throw new InvalidArgumentError('target', `unknown parameter "${key}" (known: tag, zone, lb)`);
  }
  const tags = params.getAll('tag').filter((t) => t !== '');
  const zone = params.get('zone') ?? undefined;
  const lb = params.get('lb') ?? undefined;
  if (lb === '') throw new InvalidArgumentError('target', 'lb= needs a policy name, e.g. lb=roster_weighted');
  return { service, tags, zone, lb };
}
