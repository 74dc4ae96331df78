// RAPTOR clustering: the tree builder's entry points.
export { clusterNodes, raptorClusters, type ClusterOptions, type RaptorClusterOptions } from './raptor';
export type { ReductionMethod } from './reduce';
