/**
 * Hand-written structural schemas of Chaos Mesh chaos-mesh.org/v1alpha1 PodChaos, NetworkChaos,
 * IOChaos, Schedule and Workflow, from the upstream API field lists (selector, mode/value,
 * per-action fields, Schedule's cron fields, Workflow templates and StatusCheck). Unknown keys are
 * rejected (`additionalProperties: false`) so a misspelt field fails the test.
 *
 * @see https://chaos-mesh.org/docs/define-chaos-experiment-scope/
 * @see https://chaos-mesh.org/docs/simulate-network-chaos-on-kubernetes/
 * @see https://chaos-mesh.org/docs/simulate-io-chaos-on-kubernetes/
 * @see https://chaos-mesh.org/docs/define-scheduling-rules/
 * @see https://chaos-mesh.org/docs/create-chaos-mesh-workflow/
 * @see https://chaos-mesh.org/docs/status-check-in-workflow/
 */
import { JSONSchema, registerSchema } from './schema';

const API = 'chaos-mesh.org/v1alpha1';
const str: JSONSchema = { type: 'string' };
const strMap: JSONSchema = { type: 'object', additionalProperties: { type: 'string' } };
const strList: JSONSchema = { type: 'array', items: { type: 'string' } };
const duration: JSONSchema = { type: 'string', pattern: '^(\\d+(\\.\\d+)?(ns|us|ms|s|m|h))+$' };
const int = (minimum?: number, maximum?: number): JSONSchema => ({ type: 'integer', ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) });
const closed = (properties: Record<string, JSONSchema>, required: string[] = []): JSONSchema =>
  ({ type: 'object', properties, additionalProperties: false, ...(required.length > 0 ? { required } : {}) });

const selector = closed({
  namespaces: strList,
  nodes: strList,
  pods: { type: 'object', additionalProperties: strList },
  nodeSelectors: strMap,
  fieldSelectors: strMap,
  labelSelectors: strMap,
  annotationSelectors: strMap,
  podPhaseSelectors: strList,
  expressionSelectors: {
    type: 'array',
    items: closed({ key: str, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: strList }, ['key', 'operator']),
  },
});
const mode: JSONSchema = { enum: ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'] };
const common: Record<string, JSONSchema> = { selector, mode, value: str, duration, remoteCluster: str };

const podChaos = closed({
  ...common,
  action: { enum: ['pod-kill', 'pod-failure', 'container-kill'] },
  containerNames: strList,
  gracePeriod: int(0),
}, ['selector', 'mode', 'action']);

const networkChaos = closed({
  ...common,
  action: { enum: ['netem', 'delay', 'loss', 'duplicate', 'corrupt', 'partition', 'bandwidth'] },
  direction: { enum: ['to', 'from', 'both'] },
  target: closed({ selector, mode, value: str }, ['selector', 'mode']),
  externalTargets: strList,
  device: str,
  targetDevice: str,
  delay: closed({
    latency: duration,
    jitter: duration,
    correlation: str,
    reorder: closed({ reorder: str, correlation: str, gap: int(0) }, ['reorder', 'gap']),
  }, ['latency']),
  loss: closed({ loss: str, correlation: str }, ['loss']),
  duplicate: closed({ duplicate: str, correlation: str }, ['duplicate']),
  corrupt: closed({ corrupt: str, correlation: str }, ['corrupt']),
  bandwidth: closed({ rate: { type: 'string', pattern: '^\\d+(bps|kbps|mbps|gbps|tbps)$' }, limit: int(1), buffer: int(1), peakrate: int(0), minburst: int(0) },
    ['rate', 'limit', 'buffer']),
}, ['selector', 'mode', 'action']);

const ioChaos = closed({
  ...common,
  action: { enum: ['latency', 'fault', 'attrOverride', 'mistake'] },
  delay: duration,
  errno: int(0),
  attr: { type: 'object', additionalProperties: true },
  mistake: { type: 'object', additionalProperties: true },
  path: str,
  methods: strList,
  percent: int(0, 100),
  volumePath: str,
  containerNames: strList,
}, ['selector', 'mode', 'action', 'volumePath']);

const statusCheck = closed({
  mode: { enum: ['Synchronous', 'Continuous'] },
  type: { enum: ['HTTP'] },
  duration,
  timeoutSeconds: int(1),
  intervalSeconds: int(1),
  failureThreshold: int(1),
  successThreshold: int(1),
  recordsHistoryLimit: int(1, 1000),
  http: closed({
    url: str,
    method: { enum: ['GET', 'POST'] },
    headers: { type: 'object', additionalProperties: strList },
    body: str,
    criteria: closed({ statusCode: { type: 'string', pattern: '^\\d{3}(-\\d{3})?$' } }, ['statusCode']),
  }, ['url', 'criteria']),
}, ['mode', 'type']);

const template = closed({
  name: str,
  templateType: { enum: ['Task', 'Serial', 'Parallel', 'Suspend', 'Schedule', 'StatusCheck', 'PodChaos', 'NetworkChaos', 'IOChaos', 'StressChaos', 'HTTPChaos', 'TimeChaos'] },
  deadline: duration,
  children: strList,
  task: { type: 'object', additionalProperties: true },
  conditionalBranches: { type: 'array', items: { type: 'object', additionalProperties: true } },
  schedule: { type: 'object', additionalProperties: true },
  statusCheck,
  abortWithStatusCheck: { type: 'boolean' },
  podChaos,
  networkChaos,
  ioChaos,
}, ['name', 'templateType']);

const workflow = closed({ entry: str, templates: { type: 'array', items: template, minItems: 1 } }, ['entry', 'templates']);

const schedule = closed({
  schedule: str,
  startingDeadlineSeconds: int(0),
  concurrencyPolicy: { enum: ['Forbid', 'Allow'] },
  historyLimit: int(1),
  type: { enum: ['PodChaos', 'NetworkChaos', 'IOChaos', 'StressChaos', 'HTTPChaos', 'TimeChaos', 'Workflow'] },
  podChaos,
  networkChaos,
  ioChaos,
  workflow,
}, ['schedule', 'type']);

/** Registers the five kinds (idempotent). */
export function registerChaosMeshSchemas(): void {
  registerSchema(API, 'PodChaos', { properties: { spec: podChaos }, required: ['spec'] });
  registerSchema(API, 'NetworkChaos', { properties: { spec: networkChaos }, required: ['spec'] });
  registerSchema(API, 'IOChaos', { properties: { spec: ioChaos }, required: ['spec'] });
  registerSchema(API, 'Schedule', { properties: { spec: schedule }, required: ['spec'] });
  registerSchema(API, 'Workflow', { properties: { spec: workflow }, required: ['spec'] });
}

registerChaosMeshSchemas();
