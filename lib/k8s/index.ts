/**
 * `@nines/constructs/k8s`: the cdk8s constructs and the synth-time checks, with what they take
 * as input and render: the shared core (platform description, criticality tiers, labels, the
 * validation error), the configuration renderers (`Sli`, alert packs, patroni.yml, ...) and the
 * reliability math (`Objective`, error budgets). Loads no Pulumi package.
 *
 * @packageDocumentation
 */
export * from '../core';
export * from '../checks';
export * from '../render';
export * from '../reliability';
export * from './crds';
export * from './dependency';
export * from './region-chart';
export * from './workload-options';
export * from './platform-workload';
export * from './resilient-service';
export * from './bulkhead';
export * from './priority-classes';
export * from './external-endpoint';
export * from './kafka-cluster';
export * from './redis-sentinel';
export * from './service-level-objective';
export * from './canary-release';
export * from './chaos';
export * from './chaos-workflow';
export * from './game-day';
export * from './reliability-report';
export * from './etcd-cluster';
export * from './patroni-cluster';
export type { StorageOptions } from '../core/storage';
export type { HardenedDeploymentObjects } from './private/workload';
export type { PlatformContext } from './private/context';
export type { ResolvedPatroniBackup } from './private/patroni-props';
export * from './monitoring-stack';
export * from './log-shipper';
export * from './trace-collector';
export * from './runbooks';
export * from './entry-gateway';
