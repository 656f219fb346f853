import { ADMISSION_RULE } from './admission';
import { AppRule } from './app-rule';
import { SELECTION_RULE } from './selection';
import { AWAITED_ALERT_RULE, NO_DATA_RULE, PRODUCER_RULE, RETENTION_RULE } from './signals';
import { TRAFFIC_BLOCKED_RULE, TRAFFIC_UNUSED_RULE } from './traffic';

export * from './app-rule';
export * from './model';
export * from './facts';
export * from './flows';
export { Block, Flow, FlowParty, TrafficReport, deriveFlows, trafficOf } from './traffic';
export * from './pod-security';
export { injectedContainers, admittedSpec } from './mesh';
export { metricNames, awaitedAlerts, promDurationSeconds } from './signals';
export { FLAGGER_SELECTOR_LABELS, FlaggerRelease, OperatorWorkload, ControllerResults } from './controllers';

/** The runtime-model rule pack: admission, controllers, signals (and traffic). */
export const RUNTIME_RULES: readonly AppRule[] = [
  ADMISSION_RULE,
  SELECTION_RULE,
  PRODUCER_RULE,
  NO_DATA_RULE,
  AWAITED_ALERT_RULE,
  RETENTION_RULE,
  TRAFFIC_BLOCKED_RULE,
  TRAFFIC_UNUSED_RULE,
];
