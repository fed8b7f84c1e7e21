/**
 * The standard gRPC health service (`grpc.health.v1.Health`: Check and Watch) answering from an
 * Announcement: SERVING while its health is `passing` or `warning`, NOT_SERVING once `critical`
 * (also while draining and after). A registry's or a load balancer's gRPC health check
 * (grpc_health_probe, Envoy, Kubernetes gRPC probes) can then use it.
 */
import {
  type sendUnaryData,
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  status,
} from '@grpc/grpc-js';
import type { Announcement } from '../agent/announcement.js';
import { InvalidArgumentError } from '../errors.js';
import { decodeHealthRequest, decodeHealthResponse, encodeHealthRequest, encodeHealthResponse, ServingStatus } from './health-codec.js';

type Request = { service: string };
type Response = { status: number };

/** The service definition of `grpc.health.v1.Health` (for a grpc-js `Server` or `makeClientConstructor`). */
export const GRPC_HEALTH_SERVICE: ServiceDefinition = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeHealthRequest,
    requestDeserialize: decodeHealthRequest,
    responseSerialize: encodeHealthResponse,
    responseDeserialize: decodeHealthResponse,
  },
  Watch: {
    path: '/grpc.health.v1.Health/Watch',
    requestStream: false,
    responseStream: true,
    requestSerialize: encodeHealthRequest,
    requestDeserialize: decodeHealthRequest,
    responseSerialize: encodeHealthResponse,
    responseDeserialize: decodeHealthResponse,
  },
} as ServiceDefinition;

/** What the health service reads: an Announcement (its health, service name and events). */
export type GrpcHealthSource = Pick<Announcement, 'health' | 'instance' | 'state' | 'onEvent'>;

/**
 * Adds `grpc.health.v1.Health` to `server`, answering for the whole server (`service: ""`) and
 * for the announced service's name; any other name is NOT_FOUND (Check) or SERVICE_UNKNOWN
 * (Watch). Watch sends the status at once and again on every change, until the call ends or
 * the announcement's drain is about to stop the server (then the stream ends, after NOT_SERVING).
 * Call it once `announce()` returned (grpc-js serves a service added after `bindAsync` too).
 * @throws InvalidArgumentError when `server` or `announcement` is not what it should be.
 */
export function addGrpcHealthService(server: Server, announcement: GrpcHealthSource): void {
  if (typeof server?.addService !== 'function') throw new InvalidArgumentError('server', 'must be a grpc-js Server');
  if (typeof announcement?.onEvent !== 'function' || typeof announcement.health !== 'object') {
    throw new InvalidArgumentError('announcement', 'must be what announce() returned');
  }
  const known = (name: string) => name === '' || name === announcement.instance.service;
  const current = (): ServingStatus =>
    announcement.state === 'serving' && announcement.health.status !== 'critical' ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
  server.addService(GRPC_HEALTH_SERVICE, {
    Check(call: ServerUnaryCall<Request, Response>, callback: sendUnaryData<Response>): void {
      if (!known(call.request.service)) {
        callback({ code: status.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        return;
      }
      callback(null, { status: current() });
    },
    Watch(call: ServerWritableStream<Request, Response>): void {
      if (!known(call.request.service)) {
        call.write({ status: ServingStatus.SERVICE_UNKNOWN });
        return;
      }
      let sent = current();
      call.write({ status: sent });
      const unsubscribe = announcement.onEvent((event) => {
        const now = current();
        if (now !== sent) {
          sent = now;
          call.write({ status: now });
        }
        // A Watch is a call that never ends: end it before the drain stops the server, or
        // tryShutdown would wait for it until drain.timeoutMs.
        if (event.type === 'drain' && event.phase === 'propagated') {
          unsubscribe();
          call.end();
        }
      });
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
    },
  });
}
