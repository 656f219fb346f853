/**
 * `@nines/constructs/aws`: the Pulumi components (VPC, EKS, add-ons, global failover) and the
 * CIDR plan, with the shared core. Needs the optional peers `@pulumi/pulumi`, `@pulumi/aws`
 * and `@pulumi/kubernetes`.
 *
 * @packageDocumentation
 */
export * from '../core';
export * from './cidr-plan';
export * from './multi-az-vpc';
export * from './regional-cluster';
export * from './global-failover';
export * from './cluster-addons';
export * from './cert-manager';
export * from './karpenter';
export * from './node-ami';
export * from './addon-images';
export * from './tags';
export * from './validate';
export * from './cross-region-network';
export * from './private-zone';
