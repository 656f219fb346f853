export * from './istio';
export * from './monitoring';
export * from './flagger';
export * from './chaos-mesh';
export * from './monitoring-stack';
export * from './istio-gateway';
