export * from './checks';
export * from './rules';
export { FindingCause } from './causes';
export { CheckedObject, ObjectIndex, LabelSelector, PairIndex, SelectorIndex, selects } from './object-index';
export * from './runtime';
export { ProvidedObjects } from './references';
