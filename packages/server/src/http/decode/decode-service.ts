/**
 * Decoding of `PUT /v1/agent/service/register` bodies (Consul's ServiceDefinition, spec §6.1)
 * into a validated InstanceRegistration. Consul's own checks come first, with Consul's wording;
 * then the library's validateRegistration enforces roster's limits (names, ids, tags, meta,
 * durations) so the server and the library agree.
 */
import { validateRegistration } from '@rosterjs/roster';
import type { CheckInput, InstanceInput } from '../../catalog/types.js';
import type { TaggedAddress } from '../../catalog/types.js';
import { badRequest, ServerErrorCode } from '../../errors.js';
import type { InstanceRegistration } from '../../operations/register-instance.js';
import { type CheckDecodeOptions, type DecodedCheck, decodeCheck, isEmptyCheck, toDefinition } from './decode-check.js';
import { type Fields, parseJsonObject } from './fields.js';
import { toApiError } from './validation-error.js';

const STATUS_ERROR = "Status for checks must 'passing', 'warning', 'critical'";
const UNSPECIFIED = new Set(['0.0.0.0', '::', '[::]']);

/** Settings of the decoder. */
export interface ServiceDecodeOptions extends CheckDecodeOptions {
  /** The node's address: validation stands it in for an empty service address. */
  readonly nodeAddress: string;
}

/**
 * Decodes and validates a registration.
 * @throws ApiError 400 with Consul's wording (`Missing service name`, `Invalid service address`,
 *   `Invalid check: ...`, `Invalid Weights: ...`, `Invalid Service Meta: ...`, decode errors).
 */
export function decodeServiceRegistration(
  body: Buffer | undefined,
  replaceExistingChecks: boolean,
  options: ServiceDecodeOptions,
): InstanceRegistration {
  return decodeServiceDefinition(parseJsonObject(body, 'structs.ServiceDefinition'), replaceExistingChecks, options);
}

/**
 * Decodes and validates a service definition already parsed (`nameField`: `Name` for the agent
 * endpoint, `Service` inside a catalog registration).
 */
export function decodeServiceDefinition(
  f: Fields,
  replaceExistingChecks: boolean,
  options: ServiceDecodeOptions,
  nameField = 'Name',
): InstanceRegistration {
  const name = f.string(nameField) ?? '';
  const id = f.string('ID') || name;
  const address = f.string('Address') ?? '';
  const port = f.int('Port') ?? 0;
  const tags = f.stringArray('Tags') ?? [];
  const meta = f.stringMap('Meta') ?? {};
  const enableTagOverride = f.bool('EnableTagOverride', 'enable_tag_override') ?? false;
  const kind = f.string('Kind') ?? '';
  const taggedAddresses = decodeTaggedAddresses(f.raw('TaggedAddresses', 'tagged_addresses'));
  const weightsIn = f.object('Weights', 'structs.Weights');
  const weights = { passing: weightsIn?.int('Passing') ?? 1, warning: weightsIn?.int('Warning') ?? 1 };
  const checkObjects = [f.object('Check', 'structs.CheckType'), ...(f.objectArray('Checks', 'structs.CheckType') ?? [])].filter(
    (c) => c !== undefined && !isEmptyCheck(c),
  );

  if (name === '') throw badRequest('Missing service name', ServerErrorCode.InvalidService);
  if (UNSPECIFIED.has(address)) throw badRequest('Invalid service address', ServerErrorCode.InvalidService);
  if (kind !== '')
    throw badRequest(`Invalid service: Kind: "${kind}" is not supported (roster serves no service mesh)`, ServerErrorCode.InvalidService);
  if (weightsIn !== undefined) {
    if (weights.passing < 1) throw badRequest('Invalid Weights: Passing must be greater than 0', ServerErrorCode.InvalidService);
    if (weights.warning < 0) throw badRequest('Invalid Weights: Warning must be greater or equal than 0', ServerErrorCode.InvalidService);
    if (weights.passing > 65_535 || weights.warning > 65_535) {
      throw badRequest('Invalid Weights: Passing or Warning must be less or equal than 65535', ServerErrorCode.InvalidService);
    }
  }
  if (port < 0 || port > 65_535)
    throw badRequest(`Invalid service: Port: must be between 0 and 65535, got ${port}`, ServerErrorCode.InvalidService);

  const decoded: DecodedCheck[] = checkObjects.map((c) =>
    decodeCheck(c!, c!.string('CheckID', 'check_id') || undefined, STATUS_ERROR, options),
  );
  let normalized: ReturnType<typeof validateRegistration>;
  try {
    normalized = validateRegistration(
      {
        service: name,
        id,
        // Consul allows an empty address (clients use the node's) and port 0; roster does not.
        address: address === '' ? options.nodeAddress : address,
        port: port === 0 ? 1 : port,
        tags,
        meta,
        weight: weights.passing,
        checks: decoded.map((d) => d.check),
      },
      // The Consul wire carries roster's self checks (`roster:` ids) and Meta.zone.
      { allowReserved: true },
    );
  } catch (error) {
    throw toApiError(error);
  }
  const service: InstanceInput = {
    id: normalized.id,
    name: normalized.service,
    tags: normalized.tags,
    address,
    port,
    meta: normalized.meta,
    taggedAddresses,
    weights,
    enableTagOverride,
  };
  const checks: CheckInput[] = normalized.checks.map((c, i) => ({
    id: c.id,
    name: c.name,
    notes: decoded[i]!.notes,
    serviceId: service.id,
    status: c.status,
    output: '',
    definition: toDefinition(c, decoded[i]!.extras),
  }));
  return { service, checks, replaceExistingChecks };
}

function decodeTaggedAddresses(raw: unknown): Record<string, TaggedAddress> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badRequest('Request decode failed: json: cannot unmarshal into TaggedAddresses of type map[string]structs.ServiceAddress');
  }
  const out: Record<string, TaggedAddress> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badRequest(`Request decode failed: json: cannot unmarshal into TaggedAddresses.${key} of type structs.ServiceAddress`);
    }
    const entries = Object.entries(value as Record<string, unknown>);
    const find = (k: string) => entries.find(([n]) => n.toLowerCase() === k)?.[1];
    const address = find('address') ?? '';
    const port = find('port') ?? 0;
    if (typeof address !== 'string' || typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) {
      throw badRequest(
        `Invalid service: TaggedAddresses.${key}: needs a string Address and a Port 0-65535`,
        ServerErrorCode.InvalidService,
      );
    }
    out[key] = { address, port };
  }
  return out;
}
