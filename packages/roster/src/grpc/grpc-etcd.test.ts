/**
 * gRPC over roster, registry on a real etcd (one member, loopback, temp data dir): the shared
 * scenarios of test-support-scenarios.ts. The outage stops the member and starts it again on
 * the same ports and data directory.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { type EtcdCluster, startEtcdCluster } from '../../../../test-support/etcd.js';
import { requireBinary } from '../../../../test-support/system.js';
import { etcdRegistry } from '../registry/etcd/etcd-registry.js';
import { grpcScenarios } from './test-support-scenarios.js';

const available = requireBinary('etcd', 'etcd-server', 'gRPC over etcd');
let cluster: EtcdCluster | undefined;

describe.runIf(available)('gRPC over roster, registry on etcd', () => {
  beforeAll(async () => {
    cluster = await startEtcdCluster(1);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  grpcScenarios(() => ({
    connect: () => etcdRegistry({ url: cluster!.url, requestTimeoutMs: 3000 }),
    down: () => cluster!.members[0]!.stop(),
    up: async () => {
      cluster!.members[0]!.start();
      await cluster!.waitHealthy();
    },
  }));
});
