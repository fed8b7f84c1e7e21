/** The hand-written grpc.health.v1 codec against the protobuf bytes protobufjs (via proto-loader) produces. */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeHealthRequest, decodeHealthResponse, encodeHealthRequest, encodeHealthResponse } from './health-codec.js';

const root = protobuf.loadSync(fileURLToPath(new URL('./testdata/health.proto', import.meta.url)));
const Request = root.lookupType('grpc.health.v1.HealthCheckRequest');
const Response = root.lookupType('grpc.health.v1.HealthCheckResponse');

describe('health codec', () => {
  // protobufjs writes an explicitly set default (status 0, service ""), proto3 encoders may leave
  // it out: both are valid, so each side decodes the other's bytes.
  it.each(['', 'orders', 'ü'.repeat(100)])('request %j: protobufjs reads ours, we read protobufjs’s', (service) => {
    const ours = encodeHealthRequest({ service });
    expect(Request.toObject(Request.decode(ours), { defaults: true })).toEqual({ service });
    expect(decodeHealthRequest(Buffer.from(Request.encode({ service }).finish()))).toEqual({ service });
    if (service !== '') expect(ours).toEqual(Buffer.from(Request.encode({ service }).finish()));
  });

  it.each([0, 1, 2, 3])('response status %i: protobufjs reads ours, we read protobufjs’s', (status) => {
    const ours = encodeHealthResponse({ status });
    expect(Response.toObject(Response.decode(ours), { defaults: true })).toEqual({ status });
    expect(decodeHealthResponse(Buffer.from(Response.encode({ status }).finish()))).toEqual({ status });
    if (status !== 0) expect(ours).toEqual(Buffer.from(Response.encode({ status }).finish()));
  });

  it('skips unknown fields and refuses truncated messages', () => {
    // field 2 (varint 5), field 3 (fixed32), then service "x"
    expect(decodeHealthRequest(Buffer.from([0x10, 0x05, 0x1d, 1, 2, 3, 4, 0x0a, 0x01, 0x78]))).toEqual({ service: 'x' });
    expect(() => decodeHealthRequest(Buffer.from([0x0a, 0x05, 0x78]))).toThrow(/malformed/);
    expect(() => decodeHealthRequest(Buffer.from([0x0a]))).toThrow(/malformed/);
  });
});
