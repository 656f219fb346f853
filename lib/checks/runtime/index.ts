import { AppRule } from './app-rule';

export * from './app-rule';
export * from './model';
export * from './facts';
export { FLAGGER_SELECTOR_LABELS, FlaggerRelease, OperatorWorkload, ControllerResults } from './controllers';

/** The runtime-model rule pack: admission, controllers, signals (and traffic). */
export const RUNTIME_RULES: readonly AppRule[] = [];
