/**
 * Hand-written structural schemas of Flagger's flagger.app/v1beta1 Canary and MetricTemplate,
 * from the fields of Flagger's CRDs (artifacts/flagger/crd.yaml): the Canary spec's provider,
 * targetRef, autoscalerRef, service (ports, timeout, retries, hosts, gateways, Istio
 * trafficPolicy, apex/primary/canary metadata), analysis (interval, threshold, weights,
 * iterations, match, metrics, webhooks) and skip/revert switches; the MetricTemplate's provider
 * and query. Only the fields relevant to the Istio provider are declared; unknown keys are
 * rejected (`additionalProperties: false`), including `connectionPool.tcp`, which the CRD does
 * not declare (the API server would prune it).
 *
 * @see https://github.com/fluxcd/flagger/blob/main/artifacts/flagger/crd.yaml
 * @see https://docs.flagger.app/usage/how-it-works
 */
import { JSONSchema, registerSchema } from './schema';

const API = 'flagger.app/v1beta1';
const str: JSONSchema = { type: 'string' };
const num: JSONSchema = { type: 'number' };
const int: JSONSchema = { type: 'integer', format: 'int32' };
const bool: JSONSchema = { type: 'boolean' };
const strMap: JSONSchema = { type: 'object', additionalProperties: { type: 'string' } };
const strList: JSONSchema = { type: 'array', items: { type: 'string' } };
/** Flagger's interval pattern (`^[0-9]+(m|s)`), anchored at the end too: "1m", "30s". */
const interval: JSONSchema = { type: 'string', pattern: '^[0-9]+(m|s)$' };
const closed = (properties: Record<string, JSONSchema>, required: string[] = []): JSONSchema =>
  ({ type: 'object', properties, additionalProperties: false, ...(required.length > 0 ? { required } : {}) });

const ref = (kinds: string[]): JSONSchema => closed({ apiVersion: str, kind: { type: 'string', enum: kinds }, name: str }, ['apiVersion', 'kind', 'name']);
const stringMatch: JSONSchema = {
  ...closed({ exact: str, prefix: str, suffix: str, regex: str }),
  oneOf: [{ required: ['exact'] }, { required: ['prefix'] }, { required: ['suffix'] }, { required: ['regex'] }],
};
const serviceMetadata = closed({ labels: strMap, annotations: strMap });

const trafficPolicy = closed({
  connectionPool: closed({
    http: closed({
      h2UpgradePolicy: { type: 'string', enum: ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] },
      http1MaxPendingRequests: int,
      http2MaxRequests: int,
      idleTimeout: str,
      maxRequestsPerConnection: int,
      maxRetries: int,
    }),
  }),
  outlierDetection: closed({
    baseEjectionTime: str,
    consecutive5xxErrors: { type: 'integer' },
    consecutiveErrors: int,
    consecutiveGatewayErrors: int,
    consecutiveLocalOriginFailures: int,
    interval: str,
    maxEjectionPercent: int,
    minHealthPercent: int,
    splitExternalLocalOriginErrors: bool,
  }),
  tls: closed({
    mode: { type: 'string', enum: ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] },
    caCertificates: str,
    clientCertificate: str,
    privateKey: str,
    sni: str,
    subjectAltNames: strList,
  }),
});

const service = closed({
  name: str,
  port: num,
  portName: str,
  appProtocol: str,
  targetPort: { 'x-kubernetes-int-or-string': true },
  portDiscovery: bool,
  headless: bool,
  timeout: str,
  hosts: strList,
  gateways: strList,
  delegation: bool,
  retries: closed({ attempts: int, perTryTimeout: str, retryOn: str }),
  trafficPolicy,
  apex: serviceMetadata,
  primary: serviceMetadata,
  canary: serviceMetadata,
}, ['port']);

const analysis: JSONSchema = {
  ...closed({
    interval,
    iterations: num,
    threshold: num,
    maxWeight: num,
    stepWeight: num,
    stepWeights: { type: 'array', items: num },
    stepWeightPromotion: num,
    mirror: bool,
    mirrorWeight: num,
    primaryReadyThreshold: num,
    canaryReadyThreshold: num,
    match: {
      type: 'array',
      items: closed({
        headers: { type: 'object', additionalProperties: stringMatch },
        queryParams: { type: 'object', additionalProperties: stringMatch },
        sourceLabels: strMap,
      }),
    },
    metrics: {
      type: 'array',
      items: closed({
        name: str,
        interval,
        threshold: num,
        thresholdRange: closed({ min: num, max: num }),
        query: str,
        templateRef: closed({ name: str, namespace: str }, ['name']),
        templateVariables: strMap,
      }, ['name']),
    },
    webhooks: {
      type: 'array',
      items: closed({
        name: str,
        type: { type: 'string', enum: ['', 'confirm-rollout', 'pre-rollout', 'rollout', 'confirm-promotion', 'post-rollout', 'event', 'rollback', 'confirm-traffic-increase'] },
        muteAlert: bool,
        url: { type: 'string', format: 'url' },
        timeout: interval,
        retries: num,
        disableTLS: bool,
        metadata: strMap,
      }, ['name', 'url']),
    },
  }),
  oneOf: [
    { required: ['interval', 'threshold', 'iterations'] },
    { required: ['interval', 'threshold', 'stepWeight'] },
    { required: ['interval', 'threshold', 'stepWeights'] },
  ],
};

const canary = closed({
  provider: { type: 'string', enum: ['istio', 'kubernetes', 'linkerd', 'gatewayapi:v1', 'nginx', 'contour', 'gloo', 'skipper', 'traefik'] },
  metricsServer: str,
  progressDeadlineSeconds: num,
  targetRef: ref(['DaemonSet', 'Deployment', 'Service']),
  autoscalerRef: ref(['HorizontalPodAutoscaler', 'ScaledObject']),
  service,
  analysis,
  skipAnalysis: bool,
  revertOnDeletion: bool,
  suspend: bool,
}, ['targetRef', 'analysis']);

const metricTemplate = closed({
  provider: closed({
    type: { type: 'string', enum: ['prometheus', 'influxdb', 'datadog', 'externalmetrics', 'stackdriver', 'cloudwatch', 'newrelic', 'graphite', 'dynatrace', 'keptn', 'splunk'] },
    address: str,
    headers: { type: 'object', additionalProperties: strList },
    secretRef: closed({ name: str }, ['name']),
    region: str,
    insecureSkipVerify: bool,
  }, ['type']),
  query: { type: 'string', minLength: 1 },
}, ['provider', 'query']);

/** Registers Canary and MetricTemplate (idempotent). */
export function registerFlaggerSchemas(): void {
  registerSchema(API, 'Canary', { properties: { spec: canary }, required: ['spec'] });
  registerSchema(API, 'MetricTemplate', { properties: { spec: metricTemplate }, required: ['spec'] });
}

registerFlaggerSchemas();
