import { ApiObject } from 'cdk8s';
import { Bulkhead, Checks, Criticality, Platform, RegionChart, ResilientService, formatFinding, podSecurityViolations, admittedSpec } from '../../../lib';
import { PRODUCTION } from '../../../stacks/platform';
import { buildRegion } from '../../../stacks/reference-platform';
import { regionChart } from '../../k8s/helpers';

const ADM = 'NINES-RT-ADM-01';

function chartWithMesh(mesh: { cni?: boolean; nativeSidecars?: boolean }) {
  const platform = Platform.fromDescription({ environment: 'test', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] }], mesh });
  const { app } = regionChart();
  const chart = new RegionChart(app, 'shop', { region: platform.region('us-east-1') });
  return { app, chart };
}

describe('NINES-RT-ADM-01: pods as admitted, with what the mesh injects', () => {
  test('issue example: restricted meshed namespaces with classic injection refuse every pod (istio-init runs as root with NET_ADMIN, NET_RAW); synth fails', () => {
    const platform = Platform.fromDescription({ ...PRODUCTION, mesh: { cni: false } });
    const { app } = buildRegion(platform, 'us-east-1');
    Checks.of(app).log = () => {};
    const lines = Checks.of(app).run().findings.filter(f => f.ruleId === ADM).map(formatFinding);
    expect(lines).toContain('[NINES-RT-ADM-01] services/order-service/Resource (Deployment/orders/order-service): the pods of Deployment/orders/order-service are refused at admission'
      + ' by Pod Security "restricted" (enforce-version v1.28) of namespace orders, with the containers Istio injects (classic istio-init):'
      + ' init container "istio-init" adds NET_ADMIN, NET_RAW [Capabilities]; init container "istio-init" sets runAsNonRoot false [Running as Non-root];'
      + ' init container "istio-init" sets runAsUser 0 [Running as Non-root user]; fix: install Istio CNI and declare mesh: { cni: true } in the platform description'
      + ' (the injector then adds the unprivileged istio-validation instead of istio-init), or take the pods out of the mesh (sidecar.istio.io/inject: "false")');
    // every meshed workload of the region; of the unmeshed monitoring namespace only Prometheus,
    // whose pods opt in (sidecar.istio.io/inject=true) for the certificate it scrapes meshed targets with
    expect(lines.length).toBeGreaterThanOrEqual(20);
    expect(lines.filter(l => l.includes('namespace monitoring')).map(l => l.split(':')[0]))
      .toEqual(['[NINES-RT-ADM-01] observability/monitoring/Prometheus (Prometheus/monitoring/nines)']);
    expect(() => app.synthYaml()).toThrow(/\[NINES-RT-ADM-01\] services\/payment-service\/Resource \(Deployment\/payments\/payment-service\): the pods of Deployment\/payments\/payment-service are refused/);
  });

  test('Istio CNI (the platform default) and native sidecars: the injected containers pass restricted', () => {
    for (const mesh of [{}, { cni: true, nativeSidecars: true }]) {
      const { app, chart } = chartWithMesh(mesh);
      new Bulkhead(chart, 'orders');
      new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
      expect(Checks.of(app).run().findings.filter(f => f.ruleId === ADM)).toEqual([]);
    }
  });

  test('fixture: a seccomp profile set only on the app container leaves the injected ones unconfined, so restricted refuses the pod', () => {
    const { app, chart } = chartWithMesh({});
    new Bulkhead(chart, 'jobs');
    const hardened = { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
    new ApiObject(chart, 'job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: 'jobs' },
      spec: { template: { spec: { containers: [{ name: 'migrate', image: 'r/m:1', securityContext: hardened }] } } },
    });
    const f = Checks.of(app).run().findings.filter(x => x.ruleId === ADM);
    expect(f.map(x => x.message)).toEqual(['the pods of Job/jobs/migrate are refused at admission by Pod Security "restricted" (enforce-version v1.28) of namespace jobs,'
      + ' with the containers Istio injects (Istio CNI): init container "istio-validation" has seccompProfile unset (on the pod and the container) [Seccomp];'
      + ' container "istio-proxy" has seccompProfile unset (on the pod and the container) [Seccomp]']);
    expect(f[0].fix).toBe('set a RuntimeDefault seccomp profile and runAsNonRoot on the pod (the injected containers inherit the pod\'s), or take the pods out of the mesh');
  });

  test('a suppression needs a reason and is listed', () => {
    const { app, chart } = chartWithMesh({ cni: false });
    new Bulkhead(chart, 'orders');
    const svc = new ResilientService(chart, 'order-service', { image: 'r/order:1.0.0', tier: Criticality.CRITICAL, namespace: 'orders' });
    Checks.suppress(svc, ADM, 'this cluster runs an admission exemption for istio-init (reviewed in SEC-123)');
    const report = Checks.of(app).run();
    expect(report.findings.filter(f => f.ruleId === ADM)).toEqual([]);
    expect(report.suppressed.filter(f => f.ruleId === ADM).map(s => s.object)).toEqual(['Deployment/orders/order-service']);
  });

  test('Pod Security Standards: baseline refuses NET_ADMIN and hostPath; restricted also root and escalation', () => {
    const classic = admittedSpec({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, containers: [] }, true, { cni: false, nativeSidecars: false, outboundTrafficPolicy: 'ALLOW_ANY' });
    expect(podSecurityViolations('baseline', classic).map(v => v.detail)).toEqual(['init container "istio-init" adds NET_ADMIN, NET_RAW']);
    expect(podSecurityViolations('privileged', classic)).toEqual([]);
    const spec = { volumes: [{ name: 'logs', hostPath: { path: '/var/log' } }], containers: [{ name: 'c', securityContext: { runAsUser: 0 } }] };
    expect(podSecurityViolations('restricted', spec).map(v => `${v.level} ${v.check}`)).toEqual([
      'baseline HostPath Volumes', 'restricted Privilege Escalation', 'restricted Running as Non-root', 'restricted Running as Non-root user', 'restricted Seccomp', 'restricted Capabilities',
    ]);
  });
});
