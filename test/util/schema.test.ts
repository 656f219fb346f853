import * as path from 'path';
import { App, Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as ts from 'typescript';
import { expectValidManifests, registerSchema, validateAll, validateObject } from './schema';

const labels = { 'app.kubernetes.io/name': 'order-service', 'app.kubernetes.io/part-of': 'shop', 'nines.io/criticality': 'tier-1' };

function deployment(): any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'order-service', namespace: 'shop', labels, annotations: { 'nines.io/owner': 'team-orders' } },
    spec: {
      replicas: 3,
      revisionHistoryLimit: 5,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'order-service' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'order-service',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [{
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'order-service' } },
          }],
          containers: [{
            name: 'app',
            image: 'registry.example.com/order-service:1.2.3',
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '256Mi' } },
            readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
            livenessProbe: { httpGet: { path: '/live', port: 8080 }, initialDelaySeconds: 10 },
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          }],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
}

const pdb = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'order-service', namespace: 'shop', labels },
  spec: { minAvailable: '50%', selector: { matchLabels: { 'app.kubernetes.io/name': 'order-service' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
};

const hpa = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'order-service', namespace: 'shop' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'order-service' },
    minReplicas: 3,
    maxReplicas: 12,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } },
  },
};

const networkPolicy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'order-service', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'order-service' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.1.0/24'] } }], ports: [{ port: 'dns', protocol: 'UDP' }] }],
  },
};

const destinationRule = {
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'DestinationRule',
  metadata: { name: 'order-service', namespace: 'shop' },
  spec: {
    host: 'order-service.shop.svc.cluster.local',
    trafficPolicy: {
      connectionPool: { tcp: { maxConnections: 100, connectTimeout: '1s' }, http: { http1MaxPendingRequests: 50, maxRetries: 2 } },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      loadBalancer: { localityLbSetting: { enabled: true }, simple: 'LEAST_REQUEST' },
      tls: { mode: 'ISTIO_MUTUAL' },
    },
    subsets: [{ name: 'v1', labels: { version: 'v1' } }],
  },
};

const virtualService = {
  apiVersion: 'networking.istio.io/v1beta1',
  kind: 'VirtualService',
  metadata: { name: 'order-service', namespace: 'shop' },
  spec: {
    hosts: ['order-service'],
    http: [{
      match: [{ uri: { prefix: '/api' } }],
      route: [{ destination: { host: 'order-service', subset: 'v1', port: { number: 8080 } }, weight: 100 }],
      timeout: '3s',
      retries: { attempts: 2, perTryTimeout: '1s', retryOn: '5xx,reset,connect-failure' },
    }],
  },
};

const serviceMonitor = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'order-service', namespace: 'shop', labels: { release: 'prometheus' } },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': 'order-service' } },
    endpoints: [{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s', relabelings: [{ action: 'replace', sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }] }],
    namespaceSelector: { matchNames: ['shop'] },
  },
};

const prometheusRule = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'order-service-slo', namespace: 'shop' },
  spec: {
    groups: [{
      name: 'order-service.slo',
      interval: '1m',
      rules: [
        { record: 'job:http_errors:ratio_rate5m', expr: 'sum(rate(http_errors_total[5m])) / sum(rate(http_requests_total[5m]))' },
        {
          alert: 'OrderServiceErrorBudgetBurn',
          expr: 'job:http_errors:ratio_rate5m > 14.4 * 0.0005',
          for: '2m',
          labels: { severity: 'page' },
          annotations: { summary: 'Error budget burning fast' },
        },
      ],
    }],
  },
};

/** Deep copy with a mutation applied. */
function variant<T>(obj: T, mutate: (o: any) => void): any {
  const copy = structuredClone(obj);
  mutate(copy);
  return copy;
}

describe('valid manifests pass', () => {
  test.each([
    ['Deployment', deployment()],
    ['PodDisruptionBudget', pdb],
    ['HorizontalPodAutoscaler', hpa],
    ['NetworkPolicy', networkPolicy],
    ['DestinationRule', destinationRule],
    ['VirtualService', virtualService],
    ['ServiceMonitor', serviceMonitor],
    ['PrometheusRule', prometheusRule],
  ])('%s', (_kind, obj) => {
    expect(validateObject(obj)).toEqual([]);
  });

  test('Istio v1 apiVersions are validated with the v1beta1 schema', () => {
    expect(validateObject({ ...destinationRule, apiVersion: 'networking.istio.io/v1' })).toEqual([]);
    expect(validateObject({ ...virtualService, apiVersion: 'networking.istio.io/v1' })).toEqual([]);
    expect(validateObject(variant({ ...virtualService, apiVersion: 'networking.istio.io/v1' }, o => { o.spec.htp = []; })))
      .toEqual(['VirtualService/order-service: spec.htp: unknown field']);
  });

  test('other required kinds, including labels maps and IntOrString', () => {
    const meta = (name: string) => ({ name, namespace: 'shop', labels });
    const podSpec = { containers: [{ name: 'c', image: 'busybox:1.36' }], restartPolicy: 'OnFailure' };
    expectValidManifests([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels } },
      { apiVersion: 'v1', kind: 'Service', metadata: meta('svc'), spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { port: 81, targetPort: 8081 }] } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('sa'), automountServiceAccountToken: false },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cm'), data: { 'app.yaml': 'a: 1' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), type: 'Opaque', stringData: { password: 'x' } },
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta('q'), spec: { hard: { 'requests.cpu': '10', 'limits.memory': '20Gi', 'pods': 50 } } },
      { apiVersion: 'v1', kind: 'LimitRange', metadata: meta('lr'), spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { memory: '128Mi' } }] } },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('pvc'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, storageClassName: 'gp3' } },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: meta('db'),
        spec: {
          serviceName: 'db',
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: podSpec },
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, partition: 0 } },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
        },
      },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta('ds'), spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec }, updateStrategy: { rollingUpdate: { maxUnavailable: '10%' } } } },
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'tier-1' }, value: 1000000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('r'), rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta('rb'), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'shop' }] },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: meta('job'), spec: { backoffLimit: 2, ttlSecondsAfterFinished: 600, template: { spec: podSpec } } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('cron'), spec: { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid', jobTemplate: { spec: { template: { spec: podSpec } } } } },
      { apiVersion: 'networking.istio.io/v1beta1', kind: 'ServiceEntry', metadata: meta('se'), spec: { hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'TLS' }], resolution: 'DNS', location: 'MESH_EXTERNAL' } },
      { apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication', metadata: meta('pa'), spec: { mtls: { mode: 'STRICT' }, portLevelMtls: { 9090: { mode: 'PERMISSIVE' } } } },
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta('ap'), spec: { selector: { matchLabels: labels }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { methods: ['GET'] } }] }] } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: meta('pm'), spec: { selector: { matchLabels: labels }, podMetricsEndpoints: [{ port: 'metrics', interval: '15s' }] } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'Prometheus', metadata: meta('prom'), spec: { replicas: 2, retention: '15d', serviceMonitorSelector: {}, resources: { requests: { memory: '2Gi' } }, externalLabels: { cluster: 'eu-1' } } },
      { apiVersion: 'monitoring.coreos.com/v1', kind: 'Alertmanager', metadata: meta('am'), spec: { replicas: 3, podMetadata: { labels } } },
    ]);
  });

  test('cdk8s-plus output validates', () => {
    const app = new App();
    const chart = new Chart(app, 'shop', { namespace: 'shop' });
    const dep = new kplus.Deployment(chart, 'web', {
      replicas: 2,
      containers: [{
        image: 'nginx:1.25',
        portNumber: 8080,
        readiness: kplus.Probe.fromHttpGet('/ready'),
        liveness: kplus.Probe.fromTcpSocket({ periodSeconds: Duration.seconds(10) }),
        envVariables: { MODE: kplus.EnvValue.fromValue('prod') },
        resources: { cpu: { request: kplus.Cpu.millis(100) }, memory: { limit: Size.mebibytes(256) } },
      }],
    });
    dep.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
    new kplus.ConfigMap(chart, 'config', { data: { key: 'value' } });
    new kplus.StatefulSet(chart, 'db', { containers: [{ image: 'postgres:16', portNumber: 5432 }], service: new kplus.Service(chart, 'db-svc', { ports: [{ port: 5432 }] }) });
    new kplus.CronJob(chart, 'cleanup', { schedule: Cron.daily(), containers: [{ image: 'busybox' }] });
    new kplus.Role(chart, 'role').allowRead(kplus.ApiResource.CONFIG_MAPS);
    const manifests = Testing.synth(chart);
    expect(manifests.length).toBeGreaterThan(5);
    expect(validateAll(manifests)).toEqual([]);
    expect(manifests).toBeValidManifests();
  });
});

describe('errors', () => {
  test('misspelled field deep in a pod spec, with its path', () => {
    const bad = variant(deployment(), o => {
      const c = o.spec.template.spec.containers[0];
      c.securityContxt = c.securityContext;
      delete c.securityContext;
    });
    expect(validateObject(bad)).toEqual(['Deployment/order-service: spec.template.spec.containers[0].securityContxt: unknown field']);
  });

  test('misspelled fields at several levels, all reported', () => {
    const bad = variant(deployment(), o => {
      o.spec.replica = 3;
      o.metadata.lables = {};
      o.spec.template.spec.securityContext.runAsUsr = 1;
      o.spec.template.spec.containers[0].resources.limit = { cpu: 1 };
      o.spec.template.spec.volumes[0].emptyDir.sizelimit = '1Gi';
      o.spec.strategy.rollingUpdate.maxSurges = 1;
    });
    expect(validateObject(bad).sort()).toEqual([
      'Deployment/order-service: metadata.lables: unknown field',
      'Deployment/order-service: spec.replica: unknown field',
      'Deployment/order-service: spec.strategy.rollingUpdate.maxSurges: unknown field',
      'Deployment/order-service: spec.template.spec.containers[0].resources.limit: unknown field',
      'Deployment/order-service: spec.template.spec.securityContext.runAsUsr: unknown field',
      'Deployment/order-service: spec.template.spec.volumes[0].emptyDir.sizelimit: unknown field',
    ]);
  });

  test('unknown fields in CRD-backed kinds', () => {
    expect(validateObject(variant(destinationRule, o => { o.spec.trafficPolicy.outlierDetection.consecutiveErrors5xx = 1; })))
      .toEqual(['DestinationRule/order-service: spec.trafficPolicy.outlierDetection.consecutiveErrors5xx: unknown field']);
    expect(validateObject(variant(serviceMonitor, o => { o.spec.endpoints[0].scrapeInterval = '30s'; })))
      .toEqual(['ServiceMonitor/order-service: spec.endpoints[0].scrapeInterval: unknown field']);
    expect(validateObject(variant(prometheusRule, o => { o.spec.groups[0].rules[1].label = {}; })))
      .toEqual(['PrometheusRule/order-service-slo: spec.groups[0].rules[1].label: unknown field']);
  });

  test('wrong type', () => {
    expect(validateObject(variant(deployment(), o => { o.spec.replicas = '3'; })))
      .toEqual(['Deployment/order-service: spec.replicas: must be integer (got string "3")']);
    expect(validateObject(variant(deployment(), o => { o.spec.template.spec.containers[0].ports[0].containerPort = 80.5; })))
      .toEqual(['Deployment/order-service: spec.template.spec.containers[0].ports[0].containerPort: must be integer (got number 80.5)']);
    expect(validateObject(variant(deployment(), o => { o.metadata.labels = { tier: 1 }; })))
      .toEqual(['Deployment/order-service: metadata.labels.tier: must be string (got number 1)']);
    expect(validateObject(variant(serviceMonitor, o => { o.spec.endpoints = { port: 'http' }; })))
      .toEqual(['ServiceMonitor/order-service: spec.endpoints: must be array (got object)']);
    expect(validateObject(variant(deployment(), o => { o.spec.template.metadata.labels = { ...labels, 'app.kubernetes.io/version': 2 }; })))
      .toEqual(['Deployment/order-service: spec.template.metadata.labels["app.kubernetes.io/version"]: must be string (got number 2)']);
    expect(validateObject({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'p' }, value: 1, description: 2 }))
      .toEqual(['PriorityClass/p: description: must be string (got number 2)']);
  });

  test('formats and patterns', () => {
    expect(validateObject(variant(deployment(), o => { o.spec.template.spec.containers[0].resources.limits.memory = 'lots'; })))
      .toEqual([expect.stringMatching(/^Deployment\/order-service: spec\.template\.spec\.containers\[0\]\.resources\.limits\.memory: must match pattern .* \(got string "lots"\)$/)]);
    expect(validateObject(variant(prometheusRule, o => { o.spec.groups[0].rules[1].for = 'soon'; })))
      .toEqual([expect.stringMatching(/^PrometheusRule\/order-service-slo: spec\.groups\[0\]\.rules\[1\]\.for: must match pattern .* \(got string "soon"\)$/)]);
  });

  test('mutually exclusive Istio fields (oneOf)', () => {
    expect(validateObject(variant(virtualService, o => { o.spec.http[0].match[0].uri.exact = '/api'; })))
      .toEqual(['VirtualService/order-service: spec.http[0].match[0].uri: matches 2 alternatives, must match exactly one']);
  });

  test('missing required field', () => {
    expect(validateObject(variant(deployment(), o => { delete o.spec.template.spec.containers[0].name; })))
      .toEqual(['Deployment/order-service: spec.template.spec.containers[0].name: required field missing']);
    expect(validateObject(variant(pdb, o => { delete o.apiVersion; })))
      .toEqual(['PodDisruptionBudget/order-service: apiVersion and kind must be strings']);
    expect(validateObject(variant(prometheusRule, o => { delete o.spec.groups[0].rules[1].expr; })))
      .toEqual(['PrometheusRule/order-service-slo: spec.groups[0].rules[1].expr: required field missing']);
  });

  test('enum violation', () => {
    // Kubernetes' own OpenAPI definitions carry no enums (the API server's validation refuses a bad protocol); the CRDs' do.
    expect(validateObject(variant(deployment(), o => { o.spec.template.spec.containers[0].ports[0].protocol = 'HTTP'; }))).toEqual([]);
    expect(validateObject(variant(destinationRule, o => { o.spec.trafficPolicy.tls.mode = 'MUTUAL_TLS'; })))
      .toEqual(['DestinationRule/order-service: spec.trafficPolicy.tls.mode: must be one of "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL" (got string "MUTUAL_TLS")']);
  });

  test('unknown apiVersion/kind', () => {
    expect(validateObject({ apiVersion: 'networking.istio.io/v1beta1', kind: 'Foo', metadata: { name: 'x' } }))
      .toEqual(['Foo/x: no schema for networking.istio.io/v1beta1 Foo']);
    expect(validateObject({ apiVersion: 'apps/v2', kind: 'Deployment', metadata: { name: 'x' } }))
      .toEqual(['Deployment/x: no schema for apps/v2 Deployment']);
  });

  test('IntOrString accepts "25%" and 1 but not other types', () => {
    for (const v of ['25%', 1, 0]) {
      expect(validateObject(variant(deployment(), o => { o.spec.strategy.rollingUpdate.maxSurge = v; }))).toEqual([]);
      expect(validateObject({ ...pdb, spec: { ...pdb.spec, minAvailable: v } })).toEqual([]);
    }
    expect(validateObject(variant(deployment(), o => { o.spec.strategy.rollingUpdate.maxSurge = true; })))
      .toEqual(['Deployment/order-service: spec.strategy.rollingUpdate.maxSurge: must be string or integer (got boolean true)']);
    expect(validateObject(variant(deployment(), o => { o.spec.strategy.rollingUpdate.maxUnavailable = 1.5; })))
      .toEqual(['Deployment/order-service: spec.strategy.rollingUpdate.maxUnavailable: must be string or integer (got number 1.5)']);
    expect(validateObject(variant(prometheusRule, o => { o.spec.groups[0].rules[0].expr = 1; }))).toEqual([]);
  });

  test('expectValidManifests lists every error', () => {
    const bad = [variant(deployment(), o => { o.spec.replicas = '3'; o.spec.paused = 'no'; }), { apiVersion: 'x/v1', kind: 'Y', metadata: { name: 'z' } }];
    expect(() => expectValidManifests(bad)).toThrow([
      '3 schema error(s) in 2 manifest(s):',
      '  - Deployment/order-service: spec.replicas: must be integer (got string "3")',
      '  - Deployment/order-service: spec.paused: must be boolean (got string "no")',
      '  - Y/z: no schema for x/v1 Y',
    ].join('\n'));
    expect(bad).not.toBeValidManifests();
    expect(() => expect(bad).toBeValidManifests()).toThrow(/spec\.replicas: must be integer/);
  });
});

describe('registerSchema', () => {
  beforeAll(() => {
    registerSchema('flagger.app/v1beta1', 'Canary', {
      definitions: {
        metric: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string' },
            interval: { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' },
            thresholdRange: { type: 'object', properties: { min: { type: 'number' }, max: { type: 'number' } } },
            templateRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, namespace: { type: 'string' } } },
          },
        },
      },
      type: 'object',
      required: ['spec'],
      properties: {
        spec: {
          type: 'object',
          required: ['targetRef', 'analysis'],
          properties: {
            provider: { type: 'string', enum: ['istio', 'kubernetes'] },
            targetRef: { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' } } },
            progressDeadlineSeconds: { type: 'integer', minimum: 1 },
            service: {
              'type': 'object',
              'properties': { port: { type: 'integer', format: 'int32' }, targetPort: { 'x-kubernetes-int-or-string': true } },
              'x-kubernetes-preserve-unknown-fields': true,
            },
            analysis: {
              type: 'object',
              properties: {
                interval: { type: 'string' },
                threshold: { type: 'integer' },
                metrics: { type: 'array', items: { $ref: '#/definitions/metric' } },
                webhooks: { type: 'array', items: { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true } },
              },
            },
          },
        },
      },
    });
  });

  const canary = {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'order-service', namespace: 'shop', labels },
    spec: {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'order-service' },
      service: { port: 80, targetPort: 'http', gateways: ['mesh'] },
      analysis: {
        interval: '1m',
        threshold: 5,
        metrics: [{ name: 'request-success-rate', interval: '1m', thresholdRange: { min: 99 } }],
        webhooks: [{ name: 'load-test', url: 'http://flagger-loadtester.test/', metadata: { cmd: 'hey' } }],
      },
    },
  };

  test('valid custom resource passes (preserve-unknown-fields, int-or-string, $ref)', () => {
    expect(validateObject(canary)).toEqual([]);
    expect(validateObject(variant(canary, o => { o.spec.service.targetPort = 8080; }))).toEqual([]);
  });

  test('same checks as packaged kinds', () => {
    const bad = variant(canary, o => {
      o.spec.provider = 'linkerd';
      o.spec.progressDeadlineSeconds = '60';
      o.spec.analysis.metrics[0].thresholdRnage = { min: 99 };
      o.spec.analysis.metrics[0].interval = 'soon';
      o.spec.analysis.metrics.push({ templateRef: { name: 'latency' } });
      o.spec.service.targetPort = true;
      o.metadata.lables = {};
      delete o.spec.targetRef;
    });
    expect(validateObject(bad).sort()).toEqual([
      'Canary/order-service: metadata.lables: unknown field',
      'Canary/order-service: spec.analysis.metrics[0].interval: must match pattern ^[0-9]+(ms|s|m|h)$ (got string "soon")',
      'Canary/order-service: spec.analysis.metrics[0].thresholdRnage: unknown field',
      'Canary/order-service: spec.analysis.metrics[1].name: required field missing',
      'Canary/order-service: spec.progressDeadlineSeconds: must be integer (got string "60")',
      'Canary/order-service: spec.provider: must be one of "istio", "kubernetes" (got string "linkerd")',
      'Canary/order-service: spec.service.targetPort: must be integer or string (got boolean true)',
      'Canary/order-service: spec.targetRef: required field missing',
    ]);
    expect(validateObject({ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', spec: canary.spec }))
      .toEqual(['Canary/<unnamed>: metadata: required field missing']);
  });

  test('anyOf/oneOf/allOf, additionalProperties maps and closed objects', () => {
    registerSchema('chaos-mesh.org/v1alpha1', 'PodChaos', {
      properties: {
        spec: {
          allOf: [
            { type: 'object', required: ['action'], properties: { action: { enum: ['pod-kill', 'pod-failure'] }, mode: { enum: ['one', 'all', 'fixed-percent'] } } },
            { properties: { selector: { type: 'object', properties: { labelSelectors: { type: 'object', additionalProperties: { type: 'string' } } } } } },
          ],
          oneOf: [{ required: ['duration'], properties: { duration: { type: 'string' } } }, { required: ['gracePeriod'], properties: { gracePeriod: { type: 'integer' } } }],
        },
        status: { type: 'object', additionalProperties: false },
      },
    });
    const chaos = { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', metadata: { name: 'kill' }, spec: { action: 'pod-kill', mode: 'one', duration: '30s', selector: { labelSelectors: labels } } };
    expect(validateObject(chaos)).toEqual([]);
    expect(validateObject(variant(chaos, o => { o.spec.gracePeriod = 0; })))
      .toEqual(['PodChaos/kill: spec: matches 2 alternatives, must match exactly one']);
    expect(validateObject(variant(chaos, o => { o.spec.selector.labelSelectors.x = 1; o.spec.mod = 'one'; o.status = { phase: 'x' }; })).sort()).toEqual([
      'PodChaos/kill: spec.mod: unknown field',
      'PodChaos/kill: spec.selector.labelSelectors.x: must be string (got number 1)',
      'PodChaos/kill: status.phase: unknown field',
    ]);
  });

  test('unsupported keywords are rejected at registration', () => {
    expect(() => registerSchema('x.io/v1', 'X', { properties: { a: { patternProperties: {} } as any } })).toThrow(/unsupported keyword "patternProperties" at #\/properties\/a/);
  });
});

describe('no false "unknown field" on any field the packages declare', () => {
  // Builds a maximal object for every supported kind from the model packages' TypeScript
  // interfaces (every optional field set, every array with one element, every map with one key)
  // and checks that no key is reported unknown. Guards the property-read recording against
  // schema quirks (e.g. the generator drops properties named "description") and package updates.
  const kinds: Array<[string, string]> = [
    ['kubernetes-models/apps/v1', 'Deployment'], ['kubernetes-models/apps/v1', 'StatefulSet'], ['kubernetes-models/apps/v1', 'DaemonSet'],
    ['kubernetes-models/v1', 'Namespace'], ['kubernetes-models/v1', 'Service'], ['kubernetes-models/v1', 'ServiceAccount'], ['kubernetes-models/v1', 'ConfigMap'],
    ['kubernetes-models/v1', 'Secret'], ['kubernetes-models/v1', 'ResourceQuota'], ['kubernetes-models/v1', 'LimitRange'], ['kubernetes-models/v1', 'PersistentVolumeClaim'],
    ['kubernetes-models/policy/v1', 'PodDisruptionBudget'], ['kubernetes-models/autoscaling/v2', 'HorizontalPodAutoscaler'],
    ['kubernetes-models/networking.k8s.io/v1', 'NetworkPolicy'], ['kubernetes-models/scheduling.k8s.io/v1', 'PriorityClass'],
    ['kubernetes-models/rbac.authorization.k8s.io/v1', 'Role'], ['kubernetes-models/rbac.authorization.k8s.io/v1', 'RoleBinding'],
    ['kubernetes-models/batch/v1', 'CronJob'], ['kubernetes-models/batch/v1', 'Job'],
    ['@kubernetes-models/istio/networking.istio.io/v1beta1', 'DestinationRule'], ['@kubernetes-models/istio/networking.istio.io/v1beta1', 'VirtualService'],
    ['@kubernetes-models/istio/networking.istio.io/v1beta1', 'ServiceEntry'], ['@kubernetes-models/istio/security.istio.io/v1beta1', 'PeerAuthentication'],
    ['@kubernetes-models/istio/security.istio.io/v1beta1', 'AuthorizationPolicy'],
    ...['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'Prometheus', 'Alertmanager']
      .map((k): [string, string] => ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1', k]),
  ];

  test('maximal objects of every supported kind', () => {
    const file = path.join(__dirname, '__maximal_objects.ts'); // virtual
    const source = kinds.map(([mod, kind], i) => `import type { I${kind} as T${i} } from '${mod}/${kind}';`).join('\n')
      + `\nexport type All = [${kinds.map((_, i) => `T${i}`).join(', ')}];\n`;
    const options: ts.CompilerOptions = {
      strict: true, skipLibCheck: true, noEmit: true, types: [], moduleResolution: ts.ModuleResolutionKind.Node10,
    };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = name => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    const checker = program.getTypeChecker();
    const alias = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!)[0];
    const tuple = checker.getDeclaredTypeOfSymbol(alias) as ts.TypeReference;

    // eslint-disable-next-line no-bitwise
    const has = (t: ts.Type, flags: ts.TypeFlags) => (t.flags & flags) !== 0;
    const sample = (t: ts.Type, seen: Set<ts.Type>): unknown => {
      t = checker.getNonNullableType(t);
      if (t.isUnion()) {
        const literal = t.types.find(x => x.isStringLiteral());
        t = literal ?? t.types.find(x => has(x, ts.TypeFlags.Object)) ?? t.types[0];
      }
      if (t.isStringLiteral()) return t.value;
      if (has(t, ts.TypeFlags.String)) return 'x';
      if (has(t, ts.TypeFlags.Number)) return 1;
      if (has(t, ts.TypeFlags.Boolean) || has(t, ts.TypeFlags.BooleanLiteral)) return true;
      if (checker.isArrayType(t)) return [sample(checker.getTypeArguments(t as ts.TypeReference)[0], seen)];
      if (!has(t, ts.TypeFlags.Object) || seen.has(t)) return {};
      const inner = new Set(seen).add(t);
      const o: Record<string, unknown> = {};
      const mapValue = t.getStringIndexType();
      if (mapValue) o['some-key'] = sample(mapValue, inner);
      for (const p of t.getProperties()) o[p.name] = sample(checker.getTypeOfSymbol(p), inner);
      return o;
    };

    const unknown: string[] = [];
    let fields = 0;
    for (const t of checker.getTypeArguments(tuple)) {
      const obj = sample(t, new Set()) as any;
      obj.metadata = { name: 'maximal', labels };
      fields += JSON.stringify(obj).split(':').length;
      const errors = validateObject(obj);
      expect(errors.some(e => e.includes('no schema for'))).toBe(false);
      unknown.push(...errors.filter(e => e.endsWith('unknown field')));
    }
    expect(unknown).toEqual([]);
    expect(fields).toBeGreaterThan(5000);
  });
});

describe('many objects', () => {
  test('validates thousands of mixed objects with no false positives (shared lookups stay correct)', () => {
    const objs = Array.from({ length: 5000 }, (_, i) => {
      const o = [deployment(), pdb, hpa, networkPolicy, destinationRule, virtualService, serviceMonitor, prometheusRule][i % 8];
      return { ...o, metadata: { ...o.metadata, name: `obj-${i}` } };
    });
    expect(validateAll(objs)).toEqual([]);
    const broken = { ...objs[0], spec: { ...objs[0].spec, replicaz: 3 } };
    expect(validateAll([...objs.slice(0, 100), broken])).toEqual(['Deployment/obj-0: spec.replicaz: unknown field']);
  });
});
