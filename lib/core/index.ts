export * from './errors';
export * from './criticality';
export * from './platform';
export * from './quantity';
export * from './labels';
export * from './storage';
export * from './naming';
