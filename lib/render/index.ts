export * from './patroni';
export * from './redis';
export * from './slo-rules';
export * from './alert-pack';
export * from './kafka';
