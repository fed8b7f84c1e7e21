/**
 * The two messages of `grpc.health.v1` in protobuf wire format, by hand (one string field in,
 * one enum field out), so the health service needs no .proto file and no protobuf library.
 */

/** `HealthCheckResponse.ServingStatus`. */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;

/** One of the values of {@link ServingStatus}. */
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

/** Encodes `HealthCheckResponse { status }` (proto3: the default 0 is left out). */
export function encodeHealthResponse(message: { status: number }): Buffer {
  return message.status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, message.status]);
}

/** Decodes `HealthCheckResponse` (for clients of the service and tests). */
export function decodeHealthResponse(bytes: Buffer): { status: number } {
  let status = 0;
  forEachField(bytes, (field, value) => {
    if (field === 1 && typeof value === 'number') status = value;
  });
  return { status };
}

/** Encodes `HealthCheckRequest { service }`. */
export function encodeHealthRequest(message: { service: string }): Buffer {
  const text = Buffer.from(message.service, 'utf8');
  return text.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a]), varint(text.length), text]);
}

/** Decodes `HealthCheckRequest`; unknown fields are skipped. @throws Error on malformed bytes. */
export function decodeHealthRequest(bytes: Buffer): { service: string } {
  let service = '';
  forEachField(bytes, (field, value) => {
    if (field === 1 && Buffer.isBuffer(value)) service = value.toString('utf8');
  });
  return { service };
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** Walks the fields of a message: varints as numbers, length-delimited as Buffers; fixed ones skipped. */
function forEachField(bytes: Buffer, visit: (field: number, value: number | Buffer) => void): void {
  let i = 0;
  const readVarint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (i >= bytes.length || shift > 28) throw new Error('malformed protobuf varint');
      const b = bytes[i++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
    }
  };
  while (i < bytes.length) {
    const key = readVarint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) visit(field, readVarint());
    else if (wire === 2) {
      const length = readVarint();
      if (i + length > bytes.length) throw new Error('malformed protobuf length');
      visit(field, bytes.subarray(i, i + length));
      i += length;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}
