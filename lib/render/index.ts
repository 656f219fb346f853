export * from './patroni';
export * from './redis';
export * from './slo-rules';
export * from './alert-pack';
export * from './kafka';
export * from './alertmanager';
export * from './fluent-bit';
export * from './otel-collector';
