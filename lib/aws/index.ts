export * from './cidr-plan';
export * from './multi-az-vpc';
export * from './regional-cluster';
export * from './global-failover';
export * from './cluster-addons';
