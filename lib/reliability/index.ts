export * from './error-budget';
export * from './analysis';
