export * from './crds';
export * from './dependency';
export * from './region-chart';
export * from './workload-options';
export * from './resilient-service';
export * from './bulkhead';
export * from './priority-classes';
export * from './external-endpoint';
