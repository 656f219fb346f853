import { Checks, ninesClusterCapabilities, Platform, PlatformDescription, requirementContextOf, requirementsOf } from '../../lib';
import { PRODUCTION } from '../../stacks/platform';
import { buildRegion } from '../../stacks/reference-platform';
import { expectValidManifests } from '../util/schema';

/** Synthesizes the reference platform's us-east-1 under `description`; the objects, or the error text. */
function synth(description: PlatformDescription): { objects?: any[]; error?: string } {
  const { app } = buildRegion(Platform.fromDescription(description), 'us-east-1');
  Checks.of(app).log = () => {};
  try {
    return { objects: app.charts.flatMap(c => c.toJson()) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const find = (objects: any[], kind: string, namespace: string, name: string) =>
  objects.find(o => o.kind === kind && o.metadata?.namespace === namespace && o.metadata?.name === name);

describe('between the regions: the sidecars\' names and routes', () => {
  test('each region publishes its sidecars\' internal NLB under the private zone and calls the others by the same function\'s names', () => {
    const { objects, error } = synth(PRODUCTION);
    expect(error).toBeUndefined();
    const service = find(objects!, 'Service', 'monitoring', 'prometheus-nines-sidecar');
    expect(service.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=true',
      'external-dns.alpha.kubernetes.io/hostname': 'prometheus-nines-sidecar.monitoring.us-east-1.nines.internal',
    });
    expect(service.spec.loadBalancerSourceRanges).toEqual(['10.20.0.0/16', '10.30.0.0/16', '10.40.0.0/16']);
    const query = find(objects!, 'Deployment', 'monitoring', 'thanos-query');
    expect(query.spec.template.spec.containers[0].args.filter((a: string) => a.startsWith('--endpoint=prometheus'))).toEqual([
      '--endpoint=prometheus-nines-sidecar.monitoring.us-west-2.nines.internal:10901',
      '--endpoint=prometheus-nines-sidecar.monitoring.eu-west-1.nines.internal:10901',
      '--endpoint=prometheus-nines-sidecar.monitoring.ap-southeast-1.nines.internal:10901',
    ]);
    expectValidManifests([service, query]);
  });

  test('the objects require routes to each other region, the private zone and its publisher; the library\'s AWS side provides them', () => {
    const { objects } = synth(PRODUCTION);
    const platform = Platform.fromDescription(PRODUCTION);
    const ctx = requirementContextOf(platform.region('us-east-1'));
    const of = (kind: string, name: string) => requirementsOf(find(objects!, kind, 'monitoring', name), ctx).map(r => r.capability);
    expect(of('Service', 'prometheus-nines-sidecar')).toEqual([
      'network:cross-region-routes:us-west-2', 'network:cross-region-routes:eu-west-1', 'network:cross-region-routes:ap-southeast-1',
      'dns-records:nines.internal',
    ]);
    expect(of('Deployment', 'thanos-query')).toEqual(['dns:nines.internal', 'nodes:us-east-1a', 'nodes:us-east-1b', 'nodes:us-east-1c']);
    expect(of('NetworkPolicy', 'thanos-query')).toEqual(['network-policy',
      'network:cross-region-routes:us-west-2', 'network:cross-region-routes:eu-west-1', 'network:cross-region-routes:ap-southeast-1']);
    expect(requirementsOf(find(objects!, 'Service', 'monitoring', 'prometheus-nines-sidecar'), ctx)[0].why).toBe(
      'its load balancer admits 10.20.0.0/16, the VPC of us-west-2, which only a route between the regions reaches');
  });

  test('a cluster brought without routes to one region or without the private zone fails synth (NINES-CAP-01), naming the fix', () => {
    const between = { peers: ['us-west-2', 'eu-west-1', 'ap-southeast-1'], internalZone: 'nines.internal' };
    const all = ninesClusterCapabilities(PRODUCTION.regions[0].zones, true, between).map(p => p.capability);
    const { error } = synth({ ...PRODUCTION, capabilities: all.filter(c => c !== 'network:cross-region-routes:eu-west-1' && c !== 'dns:nines.internal') });
    expect(error).toContain('(Service/monitoring/prometheus-nines-sidecar): requires "network:cross-region-routes:eu-west-1" (its load balancer '
      + 'admits 10.30.0.0/16, the VPC of eu-west-1, which only a route between the regions reaches), which the cluster of us-east-1 does not provide; '
      + 'fix: install routes to the VPC of eu-west-1 (CrossRegionNetwork: VPC peering, routes in every private route table, security group rules '
      + 'for the peer CIDRs); a cluster you bring declares it in the platform description\'s capabilities ("network:cross-region-routes:eu-west-1")');
    expect(error).toContain('(Deployment/monitoring/thanos-query): requires "dns:nines.internal" (it names a host under the private zone '
      + 'nines.internal, which must resolve from the region\'s VPC)');
    expect(error).not.toContain('cross-region-routes:us-west-2"');
  });

  test('without an internal zone there is no global view by name: no remote endpoint, no published name, nothing required between regions', () => {
    const { internalZone: _, ...withoutZone } = PRODUCTION;
    const { objects, error } = synth(withoutZone);
    expect(error).toBeUndefined();
    expect(find(objects!, 'Service', 'monitoring', 'prometheus-nines-sidecar')).toBeUndefined();
    const ctx = requirementContextOf(Platform.fromDescription(withoutZone).region('us-east-1'));
    expect(objects!.flatMap(o => requirementsOf(o, ctx)).filter(r => /^(network:|dns)/.test(r.capability))).toEqual([]);
  });

  test('a bad internal zone, log store or trace backend is refused by the platform with the fix', () => {
    expect(() => Platform.fromDescription({
      ...PRODUCTION,
      internalZone: 'Nines_Internal',
      regions: [{ ...PRODUCTION.regions[0], logStore: 'https://logs', traceBackend: 'traces.corp.net' }],
    })).toThrow('Platform \'production\': 3 problems:\n'
      + ' - regions[0].logStore ("https://logs") is not a host or host:port; give the log store\'s DNS name, e.g. "vpc-logs-abc123.us-east-1.es.amazonaws.com:443"\n'
      + ' - regions[0].traceBackend ("traces.corp.net") is not a host:port OTLP gRPC endpoint; give e.g. "tempo-distributor.tracing.corp.net:4317"\n'
      + ' - internalZone ("Nines_Internal") is not a DNS zone name (lower-case labels separated by dots); use e.g. "nines.internal"');
  });
});
