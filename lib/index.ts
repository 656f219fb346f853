export * from './core';
export * from './checks';
export * from './k8s';
export * from './render';
export * from './reliability';
export * from './aws';
