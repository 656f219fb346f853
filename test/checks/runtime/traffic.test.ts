import { ApiObject, App, JsonPatch, Testing } from 'cdk8s';
import {
  Bulkhead, Checks, Criticality, ExternalEndpoint, PatroniCluster, Platform, RegionChart, ResilientService, ServiceLevelObjective, Sli,
  TraceCollector,
} from '../../../lib';
import { formatFinding } from '../../../lib/checks/checks';
import { deriveFlows, trafficOf } from '../../../lib/checks/runtime';
import { addonNamespaceMeshed } from '../../../lib/core/addons';
import { Capability, fixFor, ninesClusterCapabilities } from '../../../lib/core/capabilities';
import { CanaryRelease } from '../../../lib/k8s/canary-release';
import { PRODUCTION } from '../../../stacks/platform';
import { buildRegion } from '../../../stacks/reference-platform';
import { PLATFORM, regionChart, withoutClusterObjects } from '../../k8s/helpers';

const NET = 'NINES-RT-NET-01';
const UNUSED = 'NINES-RT-NET-02';
const image = (name: string) => `registry.example.com/shop/${name}:1.0.0`;

/** The test platform with the mesh's outboundTrafficPolicy set to `mode`. */
function chartWithOutboundPolicy(mode: 'ALLOW_ANY' | 'REGISTRY_ONLY') {
  const app = Testing.app();
  const platform = Platform.fromDescription({
    environment: 'test', regions: [{ name: 'us-east-1', zones: [...PLATFORM.zones] }], capabilities: PLATFORM.capabilities, mesh: { outboundTrafficPolicy: mode },
  });
  const chart = new RegionChart(app, 'test', { region: platform.region('us-east-1') });
  Checks.of(app).log = () => {};
  withoutClusterObjects(app);
  return { app, chart };
}

/** orders (meshed) calls payments (meshed) and its PostgreSQL; a legacy namespace outside the mesh. */
function shop(outbound?: 'ALLOW_ANY' | 'REGISTRY_ONLY') {
  const { app, chart } = outbound ? chartWithOutboundPolicy(outbound) : regionChart();
  for (const ns of ['orders', 'payments']) new Bulkhead(chart, ns);
  new Bulkhead(chart, 'legacy', { mesh: false });
  const order = new ResilientService(chart, 'order-service', { image: image('order-service'), tier: Criticality.CRITICAL, namespace: 'orders' });
  const payment = new ResilientService(chart, 'payment-service', { image: image('payment-service'), tier: Criticality.CRITICAL, namespace: 'payments' });
  const db = new PatroniCluster(chart, 'orders-db', {
    namespace: 'orders',
    image: 'registry.example.com/platform/patroni:3.0.4-pg15',
    credentials: { secretName: 'orders-db-credentials' },
    backup: false,
    podCidrs: ['10.10.0.0/16'],
    kubernetesApi: { cidrs: ['10.10.0.0/24'] },
  });
  order.dependOn(payment);
  order.dependOn(db);
  return { app, chart, order, payment, db };
}

const findings = (app: any, rule = NET) => Checks.of(app).run().findings.filter(f => f.ruleId === rule).map(formatFinding);

describe('NINES-RT-NET-01: every flow the platform needs passes everything in its path', () => {
  test('a sound app: every derived flow passes; the flows cover dependOn, DNS, istiod, probes, scrapes and replication peers', () => {
    const { app } = shop();
    expect(findings(app)).toEqual([]);
    const flows = deriveFlows(Checks.of(app).model());
    const kinds = new Set(flows.map(f => f.kind));
    for (const k of ['dependency', 'dns', 'istiod', 'probe', 'replication', 'quorum', 'kubernetes-api']) expect(kinds).toContain(k);
    expect(flows.filter(f => f.kind === 'dependency').map(f => `${f.from.label} -> ${f.to.label} ${f.port}`)).toEqual(expect.arrayContaining([
      'Deployment/orders/order-service -> Deployment/payments/payment-service 8080',
      'Deployment/orders/order-service -> StatefulSet/orders/orders-db 5432',
    ]));
  });

  test('NetworkPolicy egress at the source: the caller\'s policy without the rule blocks the call', () => {
    const { app, order } = shop();
    order.networkPolicy.addJsonPatch(JsonPatch.replace('/spec/egress', [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }] }]));
    expect(findings(app)).toContain('[NINES-RT-NET-01] test/order-service/NetworkPolicy (NetworkPolicy/orders/order-service): dependency flow Deployment/orders/order-service -> Deployment/payments/payment-service port 8080/TCP (orders/order-service depends on payments/payment-service) is blocked: NetworkPolicy orders/order-service egress admits no rule for Deployment/payments/payment-service on 8080/TCP (Kubernetes NetworkPolicy: a selected pod is isolated for that direction and only what a rule admits passes); fix: add an egress rule to namespace payments pods {"app.kubernetes.io/name":"payment-service","app.kubernetes.io/instance":"payment-service-payments"} on 8080/TCP to a NetworkPolicy selecting Deployment/orders/order-service');
  });

  test('NetworkPolicy ingress at the destination: the callee\'s policy without the caller blocks the call, and synth fails', () => {
    const { app, payment } = shop();
    payment.networkPolicy.addJsonPatch(JsonPatch.replace('/spec/ingress', []));
    const lines = findings(app);
    expect(lines.some(l => l.startsWith('[NINES-RT-NET-01] test/payment-service/NetworkPolicy (NetworkPolicy/payments/payment-service): dependency flow Deployment/orders/order-service -> Deployment/payments/payment-service port 8080/TCP'))).toBe(true);
    expect(() => app.synth()).toThrow(/NINES-RT-NET-01.*NetworkPolicy payments\/payment-service ingress admits no rule for Deployment\/orders\/order-service/);
  });

  test('Istio Sidecar egress under REGISTRY_ONLY: a host missing from egress.hosts blocks the call', () => {
    const { app, order } = shop();
    const sidecar = order.node.findAll().find(c => c instanceof ApiObject && (c as ApiObject).kind === 'Sidecar') as ApiObject;
    sidecar.addJsonPatch(JsonPatch.replace('/spec/egress/0/hosts', ['istio-system/*']));
    expect(findings(app)).toContain('[NINES-RT-NET-01] test/order-service/Sidecar (Sidecar/orders/order-service): dependency flow Deployment/orders/order-service -> Deployment/payments/payment-service port 8080/TCP (orders/order-service depends on payments/payment-service) is blocked: Istio Sidecar orders/order-service (REGISTRY_ONLY) does not list payments/payment-service.payments.svc.cluster.local in egress.hosts, so Deployment/orders/order-service\'s proxy refuses the connection; fix: add "payments/payment-service.payments.svc.cluster.local" to the Sidecar\'s egress hosts (declare the call with dependOn)');
  });

  test('PeerAuthentication STRICT: a plaintext caller from outside the mesh is refused', () => {
    const { app, chart, payment } = shop();
    const legacy = new ResilientService(chart, 'legacy-service', { image: image('legacy-service'), tier: Criticality.CRITICAL, namespace: 'legacy' });
    legacy.dependOn(payment);
    expect(findings(app)).toContain('[NINES-RT-NET-01] test/payments/PeerAuthentication (PeerAuthentication/payments/default): dependency flow Deployment/legacy/legacy-service -> Deployment/payments/payment-service port 8080/TCP (legacy/legacy-service depends on payments/payment-service) is blocked: PeerAuthentication payments/default requires mutual TLS (STRICT) on Deployment/payments/payment-service, and Deployment/legacy/legacy-service connects in plaintext (it runs outside the mesh); fix: put Deployment/legacy/legacy-service in the mesh, or set a port-level PERMISSIVE mode for port 8080 on a PeerAuthentication selecting Deployment/payments/payment-service, with the reason written down');
  });

  test('AuthorizationPolicy: an ALLOW policy without a rule for the caller, and a matching DENY, block the call', () => {
    const { app, chart, payment } = shop();
    const allow = new ApiObject(chart, 'allow-only-checkout', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'allow-only-checkout', namespace: 'payments' },
      spec: { selector: { matchLabels: payment.podSelector }, action: 'ALLOW', rules: [{ from: [{ source: { namespaces: ['checkout'] } }] }] },
    } as any);
    expect(findings(app).filter(l => l.includes('AuthorizationPolicy/payments/allow-only-checkout'))).toEqual(expect.arrayContaining([
      '[NINES-RT-NET-01] test/allow-only-checkout (AuthorizationPolicy/payments/allow-only-checkout): dependency flow Deployment/orders/order-service -> Deployment/payments/payment-service port 8080/TCP (orders/order-service depends on payments/payment-service) is blocked: AuthorizationPolicy payments/allow-only-checkout (ALLOW) has no rule admitting Deployment/orders/order-service on port 8080; fix: add a rule with source principals ["cluster.local/ns/orders/sa/order-service"] and port 8080',
    ]));
    allow.addJsonPatch(JsonPatch.replace('/spec', { selector: { matchLabels: payment.podSelector }, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['orders'] } }] }] }));
    expect(findings(app).filter(l => l.includes('AuthorizationPolicy/payments/allow-only-checkout'))[0])
      .toContain('is blocked: AuthorizationPolicy payments/allow-only-checkout (DENY) matches Deployment/orders/order-service on port 8080; fix: narrow the DENY rule');
  });

  test('issue example: pg_hba admitting replication and clients only from the Pod CIDRs, behind the sidecar: standbys and services are refused; synth fails', () => {
    const { app, db } = shop();
    const configMap = db.node.findAll().find(c => c instanceof ApiObject && (c as ApiObject).kind === 'ConfigMap' && (c as ApiObject).name === 'orders-db-patroni') as ApiObject;
    const text: string = configMap.toJson().data['patroni.yml'];
    configMap.addJsonPatch(JsonPatch.replace('/data/patroni.yml', text.split('\n').filter(l => !l.includes('127.0.0.6/32')).join('\n')));
    const lines = findings(app).filter(l => l.includes('(ConfigMap/orders/orders-db-patroni)'));
    expect(lines).toEqual([
      '[NINES-RT-NET-01] test/orders-db/ConfigMap (ConfigMap/orders/orders-db-patroni): dependency flow Deployment/orders/order-service -> StatefulSet/orders/orders-db port 5432/TCP (orders/order-service depends on orders/orders-db) is blocked: pg_hba of StatefulSet/orders/orders-db admits no client connection from 127.0.0.6 (Istio\'s inbound passthrough source: the sidecar terminates mTLS and reconnects from there); fix: admit 127.0.0.6/32 (scram-sha-256) for clients (PatroniCluster renders it through clientAccess.proxySourceCidrs)',
      '[NINES-RT-NET-01] test/orders-db/ConfigMap (ConfigMap/orders/orders-db-patroni): replication flow StatefulSet/orders/orders-db -> StatefulSet/orders/orders-db port 5432/TCP (standbys stream WAL from the leader (and pg_rewind / pg_basebackup clone from it)) is blocked: pg_hba of StatefulSet/orders/orders-db admits no replication connection from 127.0.0.6 (Istio\'s inbound passthrough source: the sidecar terminates mTLS and reconnects from there); fix: admit 127.0.0.6/32 (scram-sha-256) for replication (PatroniCluster renders it through clientAccess.proxySourceCidrs)',
    ]);
    expect(() => app.synth()).toThrow(/NINES-RT-NET-01.*pg_hba of StatefulSet\/orders\/orders-db admits no replication connection from 127\.0\.0\.6/);
  });

  test('kubelet probes under STRICT mTLS pass while Istio rewrites them, and are refused when the pod opts out of the rewrite', () => {
    const { app, payment } = shop();
    expect(findings(app)).toEqual([]);
    payment.deployment.addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations/sidecar.istio.io~1rewriteAppHTTPProbers', 'false'));
    expect(findings(app).filter(l => l.includes('probe flow the kubelet -> Deployment/payments/payment-service'))[0])
      .toContain('fix: let Istio rewrite the probes (remove sidecar.istio.io/rewriteAppHTTPProbers: "false")');
  });
});

describe('NINES-RT-NET-01: Istio Sidecar egress under REGISTRY_ONLY, outside the cluster', () => {
  /** The shop with payment-service calling an external provider registered by an ExternalEndpoint in `egress`. */
  function withProvider(outbound?: 'ALLOW_ANY' | 'REGISTRY_ONLY') {
    const s = shop(outbound);
    new Bulkhead(s.chart, 'egress');
    const provider = new ExternalEndpoint(s.chart, 'payment-provider', { hosts: ['api.payment-provider.example.com'], namespace: 'egress' });
    s.payment.dependOn(provider);
    const entry = provider.node.defaultChild as ApiObject;
    const sidecar = s.payment.node.findAll().find(c => c instanceof ApiObject && (c as ApiObject).kind === 'Sidecar') as ApiObject;
    return { ...s, entry, sidecar };
  }
  const blocked = (app: App) => findings(app).filter(l => l.includes('-> external/payment-provider'));

  test('a registered, listed external host passes; the flow carries the ServiceEntry\'s host', () => {
    const { app } = withProvider();
    expect(findings(app)).toEqual([]);
    const flow = deriveFlows(Checks.of(app).model()).find(f => f.to.label === 'external/payment-provider')!;
    expect(flow.hosts).toEqual(['egress/api.payment-provider.example.com']);
  });

  test('the host in no ServiceEntry: the REGISTRY_ONLY Sidecar sends it to the BlackHoleCluster; synth fails', () => {
    const { app, entry } = withProvider();
    entry.addJsonPatch(JsonPatch.replace('/spec/hosts', ['api.other-provider.example.com']));
    expect(blocked(app)).toEqual([
      '[NINES-RT-NET-01] test/payment-service/Sidecar (Sidecar/payments/payment-service): dependency flow Deployment/payments/payment-service -> external/payment-provider port 443/TCP (payments/payment-service depends on external/payment-provider) is blocked: '
        + 'api.payment-provider.example.com on port 443 is in no ServiceEntry exported to namespace payments, and under Istio Sidecar payments/payment-service (REGISTRY_ONLY) Deployment/payments/payment-service\'s proxy sends a connection outside the service registry to the BlackHoleCluster; '
        + 'fix: register "api.payment-provider.example.com" on port 443 with a ServiceEntry exported to payments (an ExternalEndpoint with those hosts and ports)',
    ]);
    expect(() => app.synth()).toThrow(/is in no ServiceEntry exported to namespace payments/);
  });

  test('a ServiceEntry exported only to its own namespace, or without the port, does not register the host for the caller', () => {
    const { app, entry } = withProvider();
    entry.addJsonPatch(JsonPatch.replace('/spec/exportTo', ['.']));
    expect(blocked(app)[0]).toContain('is in no ServiceEntry exported to namespace payments');
    const other = withProvider();
    other.entry.addJsonPatch(JsonPatch.replace('/spec/ports', [{ number: 8443, name: 'tls-8443', protocol: 'TLS' }]));
    expect(blocked(other.app)[0]).toContain('api.payment-provider.example.com on port 443 is in no ServiceEntry');
  });

  test('a registered host the Sidecar does not list is refused', () => {
    const { app, sidecar } = withProvider();
    sidecar.addJsonPatch(JsonPatch.replace('/spec/egress/0/hosts', ['istio-system/*']));
    expect(blocked(app)).toEqual([
      '[NINES-RT-NET-01] test/payment-service/Sidecar (Sidecar/payments/payment-service): dependency flow Deployment/payments/payment-service -> external/payment-provider port 443/TCP (payments/payment-service depends on external/payment-provider) is blocked: '
        + 'Istio Sidecar payments/payment-service (REGISTRY_ONLY) does not list egress/api.payment-provider.example.com in egress.hosts, so Deployment/payments/payment-service\'s proxy refuses the connection; '
        + 'fix: add "egress/api.payment-provider.example.com" to the Sidecar\'s egress hosts (declare the call with dependOn)',
    ]);
  });

  test('a Sidecar without its own mode follows the mesh\'s: ALLOW_ANY forwards the unregistered host, REGISTRY_ONLY (platform mesh.outboundTrafficPolicy) refuses it', () => {
    for (const mode of ['ALLOW_ANY', 'REGISTRY_ONLY'] as const) {
      const { app, entry, sidecar } = withProvider(mode);
      sidecar.addJsonPatch(JsonPatch.remove('/spec/outboundTrafficPolicy'));
      entry.addJsonPatch(JsonPatch.replace('/spec/hosts', ['api.other-provider.example.com']));
      const lines = blocked(app);
      if (mode === 'ALLOW_ANY') expect(lines).toEqual([]);
      else expect(lines[0]).toContain('is in no ServiceEntry exported to namespace payments, and under the mesh\'s outboundTrafficPolicy REGISTRY_ONLY (platform mesh.outboundTrafficPolicy)');
    }
  });

  test('the Kubernetes API is in the registry (the default namespace\'s kubernetes Service); a namespace Sidecar that hides it refuses Patroni under a REGISTRY_ONLY mesh', () => {
    const { app, chart } = shop('REGISTRY_ONLY');
    const api = deriveFlows(Checks.of(app).model()).find(f => f.kind === 'kubernetes-api')!;
    expect(api.hosts).toEqual(['default/kubernetes.default.svc.cluster.local']);
    expect(findings(app)).toEqual([]);
    new ApiObject(chart, 'orders-sidecar', {
      apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'default', namespace: 'orders' }, spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }] },
    });
    expect(findings(app).filter(l => l.includes('kubernetes-api flow'))).toEqual([
      '[NINES-RT-NET-01] test/orders-sidecar (Sidecar/orders/default): kubernetes-api flow StatefulSet/orders/orders-db -> the Kubernetes API server port 443/TCP (Patroni labels its pod with its role) is blocked: '
        + 'Istio Sidecar orders/default (the mesh\'s outboundTrafficPolicy REGISTRY_ONLY, platform mesh.outboundTrafficPolicy) does not list default/kubernetes.default.svc.cluster.local in egress.hosts, so StatefulSet/orders/orders-db\'s proxy refuses the connection; '
        + 'fix: add "default/kubernetes.default.svc.cluster.local" to the Sidecar\'s egress hosts (declare the call with dependOn)',
    ]);
  });

  test('the platform refuses an unknown outbound traffic policy', () => {
    expect(() => Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b'] }], mesh: { outboundTrafficPolicy: 'DENY' as any } }))
      .toThrow('mesh.outboundTrafficPolicy ("DENY") is not an Istio outbound traffic policy mode; use "REGISTRY_ONLY" (only registered hosts) or "ALLOW_ANY"');
  });
});

describe('NINES-RT-NET-01: telemetry exporters to the collectors', () => {
  function traced() {
    const s = shop();
    const traces = new TraceCollector(s.chart, 'traces', { exporter: { endpoint: 'traces.example.internal:4317' }, exporterCidrs: ['10.10.96.0/20'] });
    s.order.deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/env', [{ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: `http://${traces.otlpGrpcEndpoint}` }]));
    return { ...s, traces };
  }

  test('a container with the OTel SDK endpoint exports to the collector gateway behind that Service; the samplers export to the backend', () => {
    const { app } = traced();
    const flows = deriveFlows(Checks.of(app).model()).filter(f => f.kind === 'telemetry');
    expect(flows.map(f => `${f.from.label} -> ${f.to.label} ${f.port} ${f.hosts.join(',')}`)).toEqual([
      'Deployment/monitoring/otel-sampler -> the trace backend (traces.example.internal:4317) 4317 */traces.example.internal',
      'Deployment/orders/order-service -> Deployment/monitoring/otel-gateway otlp-grpc monitoring/otel-gateway.monitoring.svc.cluster.local',
    ]);
  });

  test('the exporter\'s NetworkPolicy without egress to the collector blocks it; synth fails', () => {
    const { app } = traced();
    expect(findings(app).filter(l => l.includes('telemetry flow'))[0]).toContain('[NINES-RT-NET-01] test/order-service/NetworkPolicy (NetworkPolicy/orders/order-service): telemetry flow Deployment/orders/order-service -> Deployment/monitoring/otel-gateway port otlp-grpc/TCP (order-service exports traces to http://otel-gateway.monitoring.svc.cluster.local:4317) is blocked: NetworkPolicy orders/order-service egress admits no rule');
    expect(() => app.synth()).toThrow(/telemetry flow Deployment\/orders\/order-service -> Deployment\/monitoring\/otel-gateway/);
  });

  test('the collector\'s ingress without the exporter\'s namespace blocks it', () => {
    const { app, order, traces } = traced();
    order.networkPolicy.addJsonPatch(JsonPatch.add('/spec/egress/-', { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 4317, protocol: 'TCP' }] }));
    // the exporter's REGISTRY_ONLY Sidecar must list the collector too
    expect(findings(app).filter(l => l.includes('telemetry flow'))).toEqual([
      '[NINES-RT-NET-01] test/order-service/Sidecar (Sidecar/orders/order-service): telemetry flow Deployment/orders/order-service -> Deployment/monitoring/otel-gateway port otlp-grpc/TCP (order-service exports traces to http://otel-gateway.monitoring.svc.cluster.local:4317) is blocked: '
        + 'Istio Sidecar orders/order-service (REGISTRY_ONLY) does not list monitoring/otel-gateway.monitoring.svc.cluster.local in egress.hosts, so Deployment/orders/order-service\'s proxy refuses the connection; fix: add "monitoring/otel-gateway.monitoring.svc.cluster.local" to the Sidecar\'s egress hosts (declare the call with dependOn)',
    ]);
    const sidecar = order.node.findAll().find(c => c instanceof ApiObject && (c as ApiObject).kind === 'Sidecar') as ApiObject;
    sidecar.addJsonPatch(JsonPatch.add('/spec/egress/0/hosts/-', 'monitoring/otel-gateway.monitoring.svc.cluster.local'));
    expect(findings(app).filter(l => l.includes('telemetry flow'))).toEqual([]);
    (traces.gateway.networkPolicy as ApiObject).addJsonPatch(JsonPatch.remove('/spec/ingress/1'));
    expect(findings(app).filter(l => l.includes('telemetry flow'))[0])
      .toContain('telemetry flow Deployment/orders/order-service -> Deployment/monitoring/otel-gateway port otlp-grpc/TCP (order-service exports traces to http://otel-gateway.monitoring.svc.cluster.local:4317) is blocked: NetworkPolicy monitoring/otel-gateway ingress admits no rule for Deployment/orders/order-service');
  });
});

describe('NINES-RT-NET-01: what the cluster runs around the app', () => {
  test('a cluster that does not enforce NetworkPolicies (capabilities without "network-policy"): no flow is blocked by one, NINES-CAP-01 names the gap', () => {
    const app = new App();
    const platform = Platform.fromDescription({
      environment: 'production',
      regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }],
      capabilities: ['mesh:istio', 'crd:prometheus-operator', 'storage-class:(default)', 'nodes:us-east-1a', 'nodes:us-east-1b', 'nodes:us-east-1c'],
    });
    const chart = new RegionChart(app, 'test', { region: platform.region('us-east-1') });
    Checks.of(app).log = () => {};
    for (const ns of ['orders', 'payments']) new Bulkhead(chart, ns);
    const order = new ResilientService(chart, 'order-service', { image: image('order-service'), tier: Criticality.CRITICAL, namespace: 'orders' });
    const payment = new ResilientService(chart, 'payment-service', { image: image('payment-service'), tier: Criticality.CRITICAL, namespace: 'payments' });
    order.dependOn(payment);
    payment.networkPolicy.addJsonPatch(JsonPatch.replace('/spec/ingress', []));
    expect(findings(app)).toEqual([]);
    expect(findings(app, UNUSED)).toEqual([]);
    expect(findings(app, 'NINES-CAP-01').some(l => l.includes('requires "network-policy"'))).toBe(true);
  });

  test('the same broken policy on the library\'s cluster (it enforces NetworkPolicies) blocks the call', () => {
    const { app, payment } = shop();
    payment.networkPolicy.addJsonPatch(JsonPatch.replace('/spec/ingress', []));
    expect(findings(app).some(l => l.includes('dependency flow Deployment/orders/order-service -> Deployment/payments/payment-service port 8080/TCP'))).toBe(true);
  });

  /** The shop with a canary of payment-service, and a flagger-system Namespace the app declares without injection. */
  function canaryOutsideMesh(meshed: boolean) {
    const s = shop();
    const slo = new ServiceLevelObjective(s.chart, 'availability', {
      service: s.payment, sli: Sli.availability(), runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d',
    });
    new CanaryRelease(s.chart, 'canary', { service: s.payment, slo });
    new ApiObject(s.chart, 'flagger-namespace', {
      apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flagger-system', labels: meshed ? { 'istio-injection': 'enabled' } : {} },
    });
    return s;
  }

  test('flagger-loadtester outside the mesh (its Namespace without injection) calling a STRICT canary is refused; synth fails', () => {
    const { app } = canaryOutsideMesh(false);
    const lines = findings(app);
    expect(lines).toContain('[NINES-RT-NET-01] test/payments/PeerAuthentication (PeerAuthentication/payments/default): canary-load-test flow flagger-loadtester (flagger-system) -> Deployment/payments/payment-service port http/TCP (the load test of Canary payments/payment-service) is blocked: PeerAuthentication payments/default requires mutual TLS (STRICT) on Deployment/payments/payment-service, and flagger-loadtester (flagger-system) connects in plaintext (it runs outside the mesh); fix: put flagger-loadtester (flagger-system) in the mesh, or set a port-level PERMISSIVE mode for port http on a PeerAuthentication selecting Deployment/payments/payment-service, with the reason written down');
    expect(() => app.synth()).toThrow(/canary-load-test flow flagger-loadtester/);
  });

  test('flagger-loadtester in an injected namespace, or in the library cluster\'s flagger namespace (ClusterAddons injects it), reaches the canary', () => {
    expect(findings(canaryOutsideMesh(true).app)).toEqual([]);
    const { app, chart, payment } = shop();
    const slo = new ServiceLevelObjective(chart, 'availability', {
      service: payment, sli: Sli.availability(), runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d',
    });
    new CanaryRelease(chart, 'canary', { service: payment, slo });
    expect(trafficOf(Checks.of(app).model()).flows.some(f => f.kind === 'canary-load-test')).toBe(true);
    expect(findings(app)).toEqual([]);
  });

  test('add-on namespaces: Flagger\'s is meshed and Chaos Mesh\'s is not on the library\'s cluster; unknown on a cluster the user brings', () => {
    const library = { capabilities: undefined, flaggerNamespace: 'flagger-system', chaosNamespace: 'chaos-mesh' };
    expect(addonNamespaceMeshed(library, 'flagger-system')).toBe(true);
    expect(addonNamespaceMeshed(library, 'chaos-mesh')).toBe(false);
    expect(addonNamespaceMeshed(library, 'kube-system')).toBeUndefined();
    expect(addonNamespaceMeshed({ ...library, capabilities: ['network-policy'] }, 'flagger-system')).toBeUndefined();
  });
});

describe('NINES-RT-NET-01: the principals add-ons present to AuthorizationPolicies', () => {
  /** The shop with a canary of payment-service (Flagger's load tester calls it) and an ALLOW policy on payment-service. */
  function guarded(principals: string[]) {
    const s = shop();
    const slo = new ServiceLevelObjective(s.chart, 'availability', {
      service: s.payment, sli: Sli.availability(), runbookBaseUrl: 'https://wiki.example.com/runbooks', dashboardBaseUrl: 'https://grafana.example.com/d',
    });
    new CanaryRelease(s.chart, 'canary', { service: s.payment, slo });
    new ApiObject(s.chart, 'allow', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'allow-callers', namespace: 'payments' },
      spec: { selector: { matchLabels: s.payment.podSelector }, action: 'ALLOW', rules: [{ from: [{ source: { principals } }] }] },
    } as any);
    return s;
  }
  const loadTest = (app: App) => findings(app).filter(l => l.includes('canary-load-test flow'));

  test('flagger-loadtester (meshed on the library\'s cluster) presents its ServiceAccount flagger-loadtester in Flagger\'s namespace', () => {
    const { app } = guarded(['cluster.local/ns/orders/sa/order-service']);
    expect(loadTest(app)).toEqual([
      '[NINES-RT-NET-01] test/allow (AuthorizationPolicy/payments/allow-callers): canary-load-test flow flagger-loadtester (flagger-system) -> Deployment/payments/payment-service port http/TCP (the load test of Canary payments/payment-service) is blocked: '
        + 'AuthorizationPolicy payments/allow-callers (ALLOW) has no rule admitting flagger-loadtester (flagger-system) on port http; fix: add a rule with source principals ["cluster.local/ns/flagger-system/sa/flagger-loadtester"] and port http',
    ]);
    expect(loadTest(guarded(['cluster.local/ns/orders/sa/order-service', 'cluster.local/ns/flagger-system/sa/flagger-loadtester']).app)).toEqual([]);
    // Istio's prefix and suffix matches
    expect(loadTest(guarded(['cluster.local/ns/orders/sa/order-service', 'cluster.local/ns/flagger-system/*']).app)).toEqual([]);
    expect(loadTest(guarded(['cluster.local/ns/orders/sa/order-service', '*/sa/flagger-loadtester']).app)).toEqual([]);
  });

  test('an add-on outside the mesh presents no principal: a policy naming its ServiceAccount does not admit it', () => {
    const { app, chart } = guarded(['cluster.local/ns/orders/sa/order-service', 'cluster.local/ns/flagger-system/sa/flagger-loadtester']);
    new ApiObject(chart, 'flagger-namespace', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flagger-system', labels: {} } });
    // PERMISSIVE, so the plaintext call reaches the AuthorizationPolicy
    const pa = chart.node.findChild('payments').node.findAll().find(c => c instanceof ApiObject && (c as ApiObject).kind === 'PeerAuthentication') as ApiObject;
    pa.addJsonPatch(JsonPatch.replace('/spec/mtls/mode', 'PERMISSIVE'));
    expect(loadTest(app)).toEqual([
      '[NINES-RT-NET-01] test/allow (AuthorizationPolicy/payments/allow-callers): canary-load-test flow flagger-loadtester (flagger-system) -> Deployment/payments/payment-service port http/TCP (the load test of Canary payments/payment-service) is blocked: '
        + 'AuthorizationPolicy payments/allow-callers (ALLOW) has no rule admitting flagger-loadtester (flagger-system) on port http (a plaintext caller has no principal or namespace to match); fix: add a rule with source identity (the caller must use mTLS first) and port http',
    ]);
  });

  test('Prometheus scraping with its certificate presents its own ServiceAccount', () => {
    const platform = Platform.fromDescription(PRODUCTION);
    const { app, services, observability } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const svc = services.get('configuration-service')!;
    new ApiObject(svc, 'allow', {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'allow-pricing', namespace: svc.namespace },
      spec: { selector: { matchLabels: svc.podSelector }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/catalog/sa/pricing-service'] } }] }] },
    } as any);
    const prometheus = Checks.of(app).model().workload('monitoring', 'StatefulSet', `prometheus-${observability.monitoring.prometheus.name}`)!;
    expect(findings(app).filter(l => l.includes('scrape flow'))[0])
      .toContain(`fix: add a rule with source principals ["cluster.local/ns/monitoring/sa/${prometheus.serviceAccount}"] and port metrics`);
  });
});

describe('NINES-RT-NET-02: least privilege', () => {
  test('a NetworkPolicy peer no needed flow comes from is a warning', () => {
    const { app, chart, payment } = shop();
    const legacy = new ResilientService(chart, 'legacy-service', { image: image('legacy-service'), tier: Criticality.CRITICAL, namespace: 'legacy' });
    const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'legacy' } }, podSelector: { matchLabels: legacy.podSelector } };
    new ApiObject(chart, 'extra', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'extra', namespace: 'payments' },
      spec: { podSelector: { matchLabels: payment.podSelector }, policyTypes: ['Ingress'], ingress: [{ from: [peer], ports: [{ port: 8080, protocol: 'TCP' }] }] },
    });
    expect(findings(app, UNUSED)).toEqual([
      `[NINES-RT-NET-02] test/extra (NetworkPolicy/payments/extra): ingress rule 0 admits ${JSON.stringify(peer)} on 8080/TCP, but no flow the platform needs comes from there; fix: remove the peer, or declare the flow that needs it (dependOn, or the construct that calls)`,
    ]);
    expect(() => app.synth()).not.toThrow(); // a warning: printed, synth goes on
    // once legacy-service declares the call, the peer is needed
    legacy.dependOn(payment);
    expect(findings(app, UNUSED)).toEqual([]);
  });
});

describe('issue examples on the reference platform', () => {
  const platform = Platform.fromDescription(PRODUCTION);

  test('the reference platform: no blocked flow', () => {
    const { app } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    expect(findings(app)).toEqual([]);
    const kinds = new Set(trafficOf(Checks.of(app).model()).flows.map(f => f.kind));
    expect([...kinds].sort()).toEqual(['alerting', 'alertmanager-peers', 'canary-analysis', 'canary-load-test', 'chaos-status-check', 'dependency', 'dns', 'istiod',
      'kubernetes-api', 'probe', 'quorum', 'replication', 'scrape', 'telemetry', 'thanos-store']);
  });

  test('the log shipper\'s reads and outputs (the API server, the log store) and the samplers\' export are flows through their NetworkPolicies', () => {
    const { app, observability } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const flows = trafficOf(Checks.of(app).model()).flows.filter(f => (f.kind === 'telemetry' || f.kind === 'kubernetes-api') && f.to.cidrs && f.from.pods?.namespace !== 'orders' && f.from.pods?.namespace !== 'catalog');
    expect(flows.map(f => `${f.kind} ${f.from.label} -> ${f.to.label} ${f.port} [${f.hosts.join(',')}]`)).toEqual([
      'kubernetes-api DaemonSet/logging/fluent-bit -> the Kubernetes API server 443 [default/kubernetes.default.svc.cluster.local]',
      'telemetry DaemonSet/logging/fluent-bit -> the log store (logs.us-east-1.example.com) 443 [*/logs.us-east-1.example.com]',
      'telemetry Deployment/monitoring/otel-sampler -> the trace backend (traces.us-east-1.example.com:4317) 4317 [*/traces.us-east-1.example.com]',
    ]);
    (observability.logs.node.findChild('NetworkPolicy') as ApiObject).addJsonPatch(JsonPatch.remove('/spec/egress/2'));
    expect(findings(app).map(l => l.split(' is blocked')[0])).toEqual([
      '[NINES-RT-NET-01] observability/logs/NetworkPolicy (NetworkPolicy/logging/fluent-bit): kubernetes-api flow DaemonSet/logging/fluent-bit -> the Kubernetes API server port 443/TCP (the kubernetes filter reads pod and namespace metadata)',
      '[NINES-RT-NET-01] observability/logs/NetworkPolicy (NetworkPolicy/logging/fluent-bit): telemetry flow DaemonSet/logging/fluent-bit -> the log store (logs.us-east-1.example.com) port 443/TCP (the es output ships every record to the log store)',
    ]);
  });

  test('Prometheus outside the mesh scraping in plaintext: every meshed target refuses it (STRICT); synth fails', () => {
    const { app, services } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    services.get('order-service')!.serviceMonitor!.addJsonPatch(JsonPatch.replace('/spec/endpoints', [{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' }]));
    const lines = findings(app);
    expect(lines[0]).toContain('[NINES-RT-NET-01] cluster/orders/PeerAuthentication (PeerAuthentication/orders/default): scrape flow StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) -> Deployment/orders/order-service-primary (made by flagger) port metrics/TCP');
    expect(lines[0]).toContain('fix: scrape with the Istio certificate of a certificate-only sidecar on Prometheus (Istio "Prometheus: TLS settings")');
    expect(() => app.synth()).toThrow(/NINES-RT-NET-01/);
  });

  test('Thanos Query across regions: the flows to the other regions\' sidecars and from their Query are derived from the platform\'s VPC CIDRs and pass', () => {
    const { app } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const cross = trafficOf(Checks.of(app).model()).flows.filter(f => f.kind === 'thanos-store' && (f.from.cidrs || f.to.cidrs)).map(f => `${f.from.label} -> ${f.to.label} ${f.port}`);
    expect(cross).toEqual([
      'Thanos Query of us-west-2 (10.20.0.0/16) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) 10901',
      'Thanos Query of eu-west-1 (10.30.0.0/16) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) 10901',
      'Thanos Query of ap-southeast-1 (10.40.0.0/16) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) 10901',
      'Deployment/monitoring/thanos-query -> Thanos sidecars of us-west-2 (10.20.0.0/16) 10901',
      'Deployment/monitoring/thanos-query -> Thanos sidecars of eu-west-1 (10.30.0.0/16) 10901',
      'Deployment/monitoring/thanos-query -> Thanos sidecars of ap-southeast-1 (10.40.0.0/16) 10901',
    ]);
    expect(findings(app)).toEqual([]);
  });

  test('routes between regions: the cross-region Thanos flows need network:cross-region-routes:<region> for each other region; synth fails without', () => {
    const routed = (regions: readonly string[]) => {
      const capabilities = [
        ...new Set(PRODUCTION.regions.flatMap(r => ninesClusterCapabilities(r.zones, true).map(p => p.capability))),
        ...regions.map(r => Capability.crossRegionRoutes(r)),
      ];
      const built = buildRegion(Platform.fromDescription({ ...PRODUCTION, capabilities }), 'us-east-1');
      Checks.of(built.app).log = () => {};
      return built.app;
    };
    expect(findings(routed(['us-west-2', 'eu-west-1', 'ap-southeast-1']))).toEqual([]);
    const app = routed(['us-west-2', 'eu-west-1']);
    expect(findings(app)).toEqual([
      '[NINES-RT-NET-01] observability/monitoring/Prometheus (Prometheus/monitoring/nines): thanos-store flow Thanos Query of ap-southeast-1 (10.40.0.0/16) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) port 10901/TCP '
        + '(ap-southeast-1\'s Thanos Query reads this region\'s sidecars (StoreAPI, across regions)) is blocked: it crosses from us-east-1 into the VPC of ap-southeast-1 (10.40.0.0/16), and nothing routes between the regions\' VPCs: '
        + 'the cluster of us-east-1 does not provide "network:cross-region-routes:ap-southeast-1"; fix: ' + fixFor(Capability.crossRegionRoutes('ap-southeast-1')),
      expect.stringContaining('[NINES-RT-NET-01] observability/monitoring/Deployment (Deployment/monitoring/thanos-query): thanos-store flow Deployment/monitoring/thanos-query -> Thanos sidecars of ap-southeast-1 (10.40.0.0/16) port 10901/TCP '
        + '(Thanos Query reads ap-southeast-1\'s sidecars (StoreAPI, across regions)) is blocked: it crosses from us-east-1 into the VPC of ap-southeast-1 (10.40.0.0/16)'),
    ]);
    expect(() => app.synth()).toThrow(/does not provide "network:cross-region-routes:ap-southeast-1"/);
  });

  test('fixture: the sidecars\' policy without the other regions\' CIDRs, and Query\'s without them, block the global view; synth fails', () => {
    const { app, observability } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    (observability.monitoring.node.findChild('PrometheusNetworkPolicy') as ApiObject).addJsonPatch(JsonPatch.remove('/spec/ingress/2'));
    (observability.monitoring.query.networkPolicy as ApiObject).addJsonPatch(JsonPatch.remove('/spec/egress/3'));
    const lines = findings(app).map(l => l.split(' is blocked')[0]);
    expect(lines).toEqual([
      '[NINES-RT-NET-01] observability/monitoring/PrometheusNetworkPolicy (NetworkPolicy/monitoring/prometheus-nines): thanos-store flow Thanos Query of us-west-2 (10.20.0.0/16) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) port 10901/TCP (us-west-2\'s Thanos Query reads this region\'s sidecars (StoreAPI, across regions))',
      '[NINES-RT-NET-01] observability/monitoring/PrometheusNetworkPolicy (NetworkPolicy/monitoring/prometheus-nines): thanos-store flow Thanos Query of eu-west-1 (10.30.0.0/16) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) port 10901/TCP (eu-west-1\'s Thanos Query reads this region\'s sidecars (StoreAPI, across regions))',
      '[NINES-RT-NET-01] observability/monitoring/PrometheusNetworkPolicy (NetworkPolicy/monitoring/prometheus-nines): thanos-store flow Thanos Query of ap-southeast-1 (10.40.0.0/16) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) port 10901/TCP (ap-southeast-1\'s Thanos Query reads this region\'s sidecars (StoreAPI, across regions))',
      expect.stringMatching(/thanos-store flow Deployment\/monitoring\/thanos-query -> Thanos sidecars of us-west-2 \(10\.20\.0\.0\/16\) port 10901\/TCP/),
      expect.stringMatching(/thanos-store flow Deployment\/monitoring\/thanos-query -> Thanos sidecars of eu-west-1/),
      expect.stringMatching(/thanos-store flow Deployment\/monitoring\/thanos-query -> Thanos sidecars of ap-southeast-1/),
    ]);
    expect(() => app.synth()).toThrow(/thanos-store flow Thanos Query of us-west-2/);
  });

  test('STRICT mTLS in the monitoring namespace: the certificate-only sidecar of Prometheus captures no inbound port, so the other regions\' Query pass; once it captures them, they are refused (plaintext through the internal load balancer)', () => {
    const strict = () => {
      const built = buildRegion(platform, 'us-east-1');
      Checks.of(built.app).log = () => {};
      new ApiObject(built.observability.monitoring, 'strict-test', {
        apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'strict', namespace: 'monitoring' }, spec: { mtls: { mode: 'STRICT' } },
      });
      return built;
    };
    expect(findings(strict().app).filter(l => l.includes('Thanos Query of us-west-2'))).toEqual([]);
    const { app, observability } = strict();
    (observability.monitoring.prometheus as unknown as ApiObject).addJsonPatch(JsonPatch.remove('/spec/podMetadata/annotations/traffic.sidecar.istio.io~1includeInboundPorts'));
    expect(findings(app).filter(l => l.includes('Thanos Query of us-west-2'))).toEqual([
      '[NINES-RT-NET-01] observability/monitoring/strict-test (PeerAuthentication/monitoring/strict): thanos-store flow Thanos Query of us-west-2 (10.20.0.0/16) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) port 10901/TCP '
        + '(us-west-2\'s Thanos Query reads this region\'s sidecars (StoreAPI, across regions)) is blocked: PeerAuthentication monitoring/strict requires mutual TLS (STRICT) on StatefulSet/monitoring/prometheus-nines, '
        + 'and Thanos Query of us-west-2 (10.20.0.0/16) connects in plaintext (it runs outside the mesh); fix: put Thanos Query of us-west-2 (10.20.0.0/16) in the mesh, or set a port-level PERMISSIVE mode for port 10901 on a PeerAuthentication selecting StatefulSet/monitoring/prometheus-nines, with the reason written down',
    ]);
  });

  test('the Prometheus NetworkPolicy admitting only its namespace: Flagger, the load tester and Chaos Mesh are refused; synth fails', () => {
    const { app, observability } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const np = observability.monitoring.node.findChild('PrometheusNetworkPolicy') as ApiObject;
    np.addJsonPatch(JsonPatch.remove('/spec/ingress/1'));
    const lines = findings(app).map(l => l.split(' is blocked')[0]);
    expect(lines).toEqual([
      '[NINES-RT-NET-01] observability/monitoring/PrometheusNetworkPolicy (NetworkPolicy/monitoring/prometheus-nines): canary-analysis flow Flagger (flagger-system) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) port 9090/TCP (Flagger queries the canary MetricTemplates)',
      '[NINES-RT-NET-01] observability/monitoring/PrometheusNetworkPolicy (NetworkPolicy/monitoring/prometheus-nines): canary-analysis flow flagger-loadtester (flagger-system) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) port 9090/TCP (the load tester runs the confirm-promotion error-budget gate)',
      '[NINES-RT-NET-01] observability/monitoring/PrometheusNetworkPolicy (NetworkPolicy/monitoring/prometheus-nines): chaos-status-check flow Chaos Mesh controller (chaos-mesh) -> StatefulSet/monitoring/prometheus-nines (made by prometheus-operator) port 9090/TCP (game-day guards (Workflow StatusChecks) query Prometheus)',
    ]);
    expect(() => app.synth()).toThrow(/NINES-RT-NET-01/);
  });
});
