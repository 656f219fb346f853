export * from './istio';
export * from './monitoring';
