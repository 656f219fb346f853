export * from './error-budget';
