/** `roster/testing`: the registry contract suite and a fake clock, for backends and client tests. */
export { type ClauseContext, type ContractClause, contractClauses, uniqueService } from './contract-clauses.js';
export { FakeClock } from './fake-clock.js';
export { type RegistryContractOptions, registryContract, runClause } from './registry-contract.js';
