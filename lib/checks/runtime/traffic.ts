/**
 * Traffic: every flow the platform needs at run time, derived from what the library knows, each
 * evaluated through everything in its path. A blocked flow is an error naming the flow, the
 * object that blocks it and the fix; a NetworkPolicy peer no needed flow uses is a warning.
 *
 * Flows (see {@link deriveFlows}): each `dependOn` edge (the ingress gateway's edge to the entry
 * service included), DNS and istiod from every pod, kubelet probes, Prometheus to every
 * ServiceMonitor target, Flagger and its load tester to Prometheus, Chaos Mesh's status checks to
 * Prometheus, Prometheus to Alertmanager and the Alertmanager peers, Thanos Query to the local
 * Prometheus stores (and the other regions' across their VPCs), telemetry exporters (a container
 * with the OTel SDK's endpoint variable) to the collector behind that Service, and the flows
 * constructs declare for their parts (replication and quorum peers, the Kubernetes API, the log
 * shipper's and the trace samplers' outputs).
 *
 * Filters, in path order:
 * 1. NetworkPolicy egress at the source and ingress at the destination (both ends, when the pods
 *    are the app's): a pod selected by a policy of a direction is isolated for it and only what a
 *    rule admits passes; traffic from the node (kubelet probes) always passes.
 *    @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 * 2. Istio Sidecar egress at a meshed source, under the Sidecar's outbound policy or else the
 *    mesh's (the platform's `mesh.outboundTrafficPolicy`): under REGISTRY_ONLY a host outside the
 *    registry (the cluster's Services, ServiceEntries exported to the caller on the port) or
 *    outside the Sidecar's `egress.hosts` goes to the BlackHoleCluster; under ALLOW_ANY it leaves
 *    through the passthrough cluster (plaintext, no mTLS).
 *    @see https://istio.io/latest/docs/reference/config/networking/sidecar/
 *    @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-OutboundTrafficPolicy-Mode
 * 3. PeerAuthentication at a meshed destination (workload > namespace > root namespace, port
 *    level first): STRICT refuses a plaintext caller (outside the mesh, or its own sidecar
 *    bypassed); kubelet probes pass while Istio rewrites them (the default).
 *    @see https://istio.io/latest/docs/reference/config/security/peer_authentication/
 *    @see https://istio.io/latest/docs/ops/configuration/mesh/app-health-check/
 * 4. AuthorizationPolicy at a meshed destination: a matching DENY refuses; with any ALLOW policy
 *    on the workload only a matching rule admits. A meshed caller presents its ServiceAccount
 *    (an add-on the one its chart gives it, lib/core/addons.ts); a plaintext caller has no
 *    principal or namespace.
 *    @see https://istio.io/latest/docs/reference/config/security/authorization-policy/
 * 5. Application allow lists that see the peer's address: PostgreSQL's pg_hba (first matching
 *    line wins) against the address the peer presents, 127.0.0.6 behind the destination's sidecar.
 *    @see https://www.postgresql.org/docs/current/auth-pg-hba-conf.html
 *    @see https://github.com/istio/istio/blob/master/pilot/pkg/networking/util/util.go (InboundPassthroughBindIpv4)
 * 6. Routes between regions: a flow between the app's pods and another region's VPC CIDR needs
 *    the region's cluster to provide `network:cross-region-routes:<that region>` (VPC peering or a
 *    transit gateway with routes at both ends).
 *    @see https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-routing.html
 *
 * Whether the cluster enforces NetworkPolicies at all is a cluster capability the platform
 * description does not state yet: the model assumes they are enforced (on EKS: the VPC CNI's
 * network policy agent or Calico).
 */
import { parse } from 'yaml';
import {
  CHAOS_CONTROLLER_POD_LABELS, CHAOS_CONTROLLER_SERVICE_ACCOUNT, FLAGGER_POD_LABELS, FLAGGER_SERVICE_ACCOUNT, LOADTESTER_POD_LABELS,
  LOADTESTER_SERVICE_ACCOUNT, addonNamespaceMeshed,
} from '../../core/addons';
import { Capability, fixFor } from '../../core/capabilities';
import { LABELS } from '../../core/labels';
import { PlatformSettings } from '../../core/platform';
import { ISTIO_INBOUND_SOURCE_ADDRESS } from '../../k8s/crds/istio';
import { NetworkPeer, ServiceGraph } from '../../k8s/dependency';
import { capabilitiesOf } from '../contract-rules';
import { CheckedObject, LabelSelector, SelectorIndex, selects } from '../object-index';
import { AppFinding, AppRule } from './app-rule';
import { DeclaredFlowEnd, FlowKind, declaredFlowsOf } from './flows';
import { PodView, RuntimeModel, podMatches, push } from './model';

/** One end of a flow. */
export interface FlowParty {
  /** For messages: `Deployment/orders/order-service`, `Flagger (flagger-system)`, `the kubelet`. */
  readonly label: string;
  /** The app's pods at this end (both NetworkPolicy ends are evaluated only for them). */
  readonly pods?: PodView;
  /** Namespace and labels of pods outside the app (add-ons), as NetworkPolicy peers see them. */
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Addresses outside the cluster. */
  readonly cidrs?: readonly string[];
  /** Addresses excluded from `cidrs` (e.g. the private ranges of "anywhere on the internet"). */
  readonly exceptCidrs?: readonly string[];
  /** The node (kubelet): NetworkPolicies always admit it. */
  readonly node?: boolean;
  /**
   * The ServiceAccount the pods of an add-on outside the app run as (the identity their sidecar's
   * certificate carries when they are in the mesh). The app's pods carry theirs in `pods`.
   */
  readonly serviceAccount?: string;
}

/** A flow the platform needs. */
export interface Flow {
  readonly kind: FlowKind;
  readonly from: FlowParty;
  readonly to: FlowParty;
  /** Destination port (a pod port number or name). */
  readonly port: number | string;
  readonly protocol: 'TCP' | 'UDP';
  /**
   * Hosts the caller addresses, for Sidecar egress and the service registry: `namespace/fqdn` of
   * a Service or a ServiceEntry (`*\/fqdn` for a name outside the cluster whose ServiceEntry may
   * sit in any namespace).
   */
  readonly hosts: readonly string[];
  /** The caller speaks Istio mTLS itself (Prometheus with its sidecar's certificate). */
  readonly ownMtls?: boolean;
  readonly postgresReplication?: boolean;
  /** HTTP/TCP/gRPC probe (rewritten by Istio through the agent) vs exec. */
  readonly why: string;
}

/** Why a flow does not pass: the object that blocks it and the fix. */
export interface Block {
  readonly object: CheckedObject;
  readonly why: string;
  readonly fix: string;
}

/** Derives every flow and evaluates it; the rules below read the result. */
export interface TrafficReport {
  readonly flows: readonly Flow[];
  readonly blocked: ReadonlyArray<{ readonly flow: Flow; readonly block: Block }>;
  /** NetworkPolicy peers no needed flow used: `[policy, direction, rule index, peer index]`. */
  readonly unused: ReadonlyArray<{ readonly policy: CheckedObject; readonly direction: 'ingress' | 'egress'; readonly rule: number; readonly peer: number }>;
}

const REPORTS = new WeakMap<RuntimeModel, TrafficReport>();

/** The traffic report of a model (computed once per pass, shared by the traffic rules). */
export function trafficOf(model: RuntimeModel): TrafficReport {
  let r = REPORTS.get(model);
  if (!r) REPORTS.set(model, r = new TrafficEvaluator(model).run());
  return r;
}

// ---------------------------------------------------------------------------------------------
// Flow derivation
// ---------------------------------------------------------------------------------------------

const KUBE_DNS = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
/** The kubelet probing a pod (from the node). */
const KUBELET: FlowParty = { label: 'the kubelet', node: true };
const NO_HOSTS: readonly string[] = Object.freeze([]);

const PARTIES = new WeakMap<PodView, FlowParty>();

/** The flow party of a pod view (one object per view: every flow of the pods shares it). */
function podParty(p: PodView): FlowParty {
  let party = PARTIES.get(p);
  if (!party) {
    PARTIES.set(p, party = { label: p.controller === 'kubernetes' ? p.workload : `${p.workload} (made by ${p.controller})`, pods: p, namespace: p.namespace, labels: p.labels });
  }
  return party;
}

/** Every flow the platform needs, from the app's objects, its dependency graph and declared flows. */
export function deriveFlows(model: RuntimeModel): Flow[] {
  const flows: Flow[] = [];
  const clusterDomain = (p?: PodView) => p?.platform.clusterDomain ?? 'cluster.local';
  const hosts = new Map<PodView, string[]>();
  const hostsOf = (p: PodView): string[] => {
    let h = hosts.get(p);
    if (!h) {
      hosts.set(p, h = model.servicesSelecting(p).map(s => `${s.namespace}/${s.name}.${s.namespace}.svc.${clusterDomain(p)}`));
    }
    return h;
  };
  // The parties of a peer (namespace and pod labels), once per distinct peer: many edges name the same service.
  const parties = new Map<string, FlowParty[]>();
  const partiesOf = (end: { namespace?: string; podLabels?: Record<string, string> }, label: string): FlowParty[] => {
    if (!end.namespace) return [];
    const key = `${label}\u0000${end.namespace}\u0000${JSON.stringify(end.podLabels ?? {})}`;
    let out = parties.get(key);
    if (!out) {
      const pods = model.podsSelectedBy(end.namespace, { matchLabels: end.podLabels ?? {} });
      parties.set(key, out = pods.length > 0 ? pods.map(podParty) : [{ label, namespace: end.namespace, labels: end.podLabels ?? {} }]);
    }
    return out;
  };

  // 1. Pods: DNS, istiod, kubelet probes (the parties outside the app shared by every pod's flows).
  const dns: FlowParty = { label: 'cluster DNS (kube-system/kube-dns)', ...KUBE_DNS };
  const istiods = new Map<string, FlowParty>();
  for (const p of model.pods) {
    const from = podParty(p);
    for (const protocol of ['UDP', 'TCP'] as const) {
      flows.push({ kind: 'dns', from, to: dns, port: 53, protocol, hosts: NO_HOSTS, why: 'name resolution' });
    }
    if (p.meshed) {
      const mesh = p.platform.meshNamespace;
      let istiod = istiods.get(mesh);
      if (!istiod) istiods.set(mesh, istiod = { label: `istiod (${mesh})`, namespace: mesh, labels: { app: 'istiod' } });
      flows.push({ kind: 'istiod', from, to: istiod, port: 15012, protocol: 'TCP', hosts: NO_HOSTS, why: 'the sidecar fetches its configuration and certificate' });
    }
    for (const c of p.spec?.containers ?? []) {
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
        if (port === undefined) continue;
        flows.push({ kind: 'probe', from: KUBELET, to: from, port, protocol: 'TCP', hosts: NO_HOSTS, why: `${c.name}'s probe` });
      }
    }
  }

  // 2. dependOn edges (the ingress gateway's edge to the entry service included).
  const root = model.objects[0]?.construct;
  if (root) {
    // Each end's parties, hosts and peers once per construct: a service is the end of several edges.
    const callers = new Map<object, { id: string; parties: FlowParty[] }>();
    const callees = new Map<object, { id: string; hosts: readonly string[]; peers: Array<{ parties: FlowParty[]; ports: NetworkPeer['ports'] }> }>();
    for (const e of ServiceGraph.of(root).edges) {
      let caller = callers.get(e.from);
      if (!caller) {
        const id = e.from.dependencyFacts.id;
        callers.set(e.from, caller = { id, parties: partiesOf(e.from.callerPeer(), id) });
      }
      let callee = callees.get(e.to);
      if (!callee) {
        const id = e.to.dependencyFacts.id;
        callees.set(e.to, callee = {
          id,
          hosts: e.to.meshHosts(),
          peers: e.to.egressPeers().map(peer => ({
            parties: peer.cidrs && peer.cidrs.length > 0 ? [{ label: id, cidrs: peer.cidrs, exceptCidrs: peer.exceptCidrs }] : partiesOf(peer, id),
            ports: peer.ports,
          })),
        });
      }
      const why = `${caller.id} depends on ${callee.id}`;
      for (const peer of callee.peers) {
        for (const from of caller.parties) {
          for (const to of peer.parties) {
            for (const port of peer.ports) {
              flows.push({ kind: 'dependency', from, to, port: port.port, protocol: port.protocol ?? 'TCP', hosts: callee.hosts, why });
            }
          }
        }
      }
    }
    // 3. Flows the constructs declare for their own parts.
    for (const d of declaredFlowsOf(root)) {
      const end = (x: DeclaredFlowEnd): FlowParty[] => ('cidrs' in x ? [{ label: x.name, cidrs: x.cidrs }] : partiesOf(x, `${x.namespace}/${Object.values(x.podLabels).join(',')}`));
      const outside = 'cidrs' in d.to ? externalHosts(d.to.hosts ?? []) : [];
      for (const from of end(d.from)) {
        // A client of the Kubernetes API dials the `kubernetes` Service of the default namespace (its in-cluster
        // config reads KUBERNETES_SERVICE_HOST, that Service's ClusterIP), a host of the registry on every cluster.
        // @see https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/#directly-accessing-the-rest-api
        const api = d.kind === 'kubernetes-api' ? [kubernetesApiHost(clusterDomain(from.pods))] : [];
        for (const to of end(d.to)) {
          for (const port of d.ports) {
            flows.push({
              kind: d.kind, from, to, port: port.port, protocol: port.protocol ?? 'TCP', hosts: to.pods ? hostsOf(to.pods) : [...api, ...outside], why: d.why, postgresReplication: d.postgresReplication,
            });
          }
        }
      }
    }
  }

  // 4. Prometheus and its readers.
  const prometheuses = model.controllers.operator.filter(o => o.source.kind === 'Prometheus').map(o => o.pods);
  const alertmanagers = model.controllers.operator.filter(o => o.source.kind === 'Alertmanager').map(o => o.pods);
  for (const sm of model.ofKind('ServiceMonitor')) {
    const spec = sm.json.spec ?? {};
    const namespaces: string[] = spec.namespaceSelector?.matchNames ?? [sm.namespace];
    for (const prom of prometheuses) {
      const pspec = prom.source.json.spec ?? {};
      if (!selects(pspec.serviceMonitorSelector ?? {}, sm.json.metadata?.labels ?? {})) continue;
      const certs = String(prom.annotations['proxy.istio.io/config'] ?? '').includes('OUTPUT_CERTS') && prom.meshed;
      for (const ns of namespaces) {
        for (const svc of spec.selector ? model.servicesLabelled(ns, spec.selector) : []) {
          if (!svc.selector) continue;
          for (const ep of spec.endpoints ?? []) {
            const sp = svc.ports.find(x => x.name === ep.port);
            if (!sp) continue;
            for (const target of model.podsSelectedBy(ns, { matchLabels: { ...svc.selector } })) {
              flows.push({
                kind: 'scrape',
                from: podParty(prom),
                to: podParty(target),
                port: sp.targetPort ?? sp.port,
                protocol: 'TCP',
                hosts: [`${ns}/${svc.name}.${ns}.svc.${clusterDomain(target)}`],
                ownMtls: certs && ep.tlsConfig?.certFile !== undefined,
                why: `ServiceMonitor ${sm.namespace}/${sm.name} (${ep.port})`,
              });
            }
          }
        }
      }
    }
  }
  const canaries = model.ofKind('Canary');
  const guards = [...model.ofKind('Workflow'), ...model.ofKind('Schedule')].filter(w => JSON.stringify(w.json.spec ?? {}).includes('"templateType":"StatusCheck"'));
  const thanosQueries = model.pods.filter(p => p.labels[LABELS.name] === 'thanos-query');
  for (const prom of prometheuses) {
    const to = podParty(prom);
    const f = prom.platform.flaggerNamespace;
    if (canaries.length > 0) {
      flows.push({
        kind: 'canary-analysis',
        from: { label: `Flagger (${f})`, namespace: f, labels: FLAGGER_POD_LABELS, serviceAccount: FLAGGER_SERVICE_ACCOUNT },
        to,
        port: 9090,
        protocol: 'TCP',
        hosts: [],
        why: 'Flagger queries the canary MetricTemplates',
      });
      flows.push({
        kind: 'canary-analysis',
        from: { label: `flagger-loadtester (${f})`, namespace: f, labels: LOADTESTER_POD_LABELS, serviceAccount: LOADTESTER_SERVICE_ACCOUNT },
        to,
        port: 9090,
        protocol: 'TCP',
        hosts: [],
        why: 'the load tester runs the confirm-promotion error-budget gate',
      });
    }
    if (guards.length > 0) {
      const c = prom.platform.chaosNamespace;
      flows.push({
        kind: 'chaos-status-check',
        from: { label: `Chaos Mesh controller (${c})`, namespace: c, labels: CHAOS_CONTROLLER_POD_LABELS, serviceAccount: CHAOS_CONTROLLER_SERVICE_ACCOUNT },
        to,
        port: 9090,
        protocol: 'TCP',
        hosts: [],
        why: 'game-day guards (Workflow StatusChecks) query Prometheus',
      });
    }
    for (const am of alertmanagers) {
      if (am.namespace !== prom.namespace) continue;
      flows.push({ kind: 'alerting', from: podParty(prom), to: podParty(am), port: 9093, protocol: 'TCP', hosts: [], why: 'Prometheus sends alerts' });
    }
    for (const q of thanosQueries.filter(p => p.namespace === prom.namespace)) {
      flows.push({ kind: 'thanos-store', from: podParty(q), to, port: 10901, protocol: 'TCP', hosts: [], why: 'Thanos Query reads the local sidecars (StoreAPI)' });
    }
    // The global view across regions: a Query with endpoints outside the cluster (`--endpoint=host:port`,
    // not a dnssrv+ name) reads the other regions' sidecars, and the other regions' Query (the same
    // construct, the same settings) read this region's: both directions cross the regions' VPCs, whose
    // CIDRs the platform description holds.
    // @see https://thanos.io/tip/components/query.md/ (--endpoint: StoreAPI gRPC endpoints)
    if (!thanosQueries.some(q => remoteStoreEndpoints(q).length > 0)) continue;
    for (const other of otherRegions(prom)) {
      flows.push({
        kind: 'thanos-store',
        from: { label: `Thanos Query of ${other.name} (${other.vpcCidr})`, cidrs: [other.vpcCidr] },
        to,
        port: 10901,
        protocol: 'TCP',
        hosts: [],
        why: `${other.name}'s Thanos Query reads this region's sidecars (StoreAPI, across regions)`,
      });
    }
  }
  for (const q of thanosQueries) {
    if (remoteStoreEndpoints(q).length === 0) continue;
    for (const other of otherRegions(q)) {
      flows.push({
        kind: 'thanos-store',
        from: podParty(q),
        to: { label: `Thanos sidecars of ${other.name} (${other.vpcCidr})`, cidrs: [other.vpcCidr] },
        port: 10901,
        protocol: 'TCP',
        hosts: externalHosts(remoteStoreEndpoints(q).map(e => e.replace(/:\d+$/, ''))),
        why: `Thanos Query reads ${other.name}'s sidecars (StoreAPI, across regions)`,
      });
    }
  }
  // The load tester drives traffic at each canary during its analysis (webhooks to the load tester).
  for (const release of model.controllers.flagger) {
    const spec = release.canary.json.spec ?? {};
    const webhooks: any[] = spec.analysis?.webhooks ?? [];
    if (!release.target || !webhooks.some(w => /loadtester/.test(String(w.url ?? '')))) continue;
    const f = release.target.platform.flaggerNamespace;
    const port = spec.service?.targetPort ?? spec.service?.port;
    if (port === undefined) continue;
    flows.push({
      kind: 'canary-load-test',
      from: { label: `flagger-loadtester (${f})`, namespace: f, labels: LOADTESTER_POD_LABELS, serviceAccount: LOADTESTER_SERVICE_ACCOUNT },
      to: podParty(release.target),
      port,
      protocol: 'TCP',
      hosts: [],
      why: `the load test of Canary ${release.canary.namespace}/${release.canary.name}`,
    });
  }
  flows.push(...telemetryFlows(model));
  for (const am of alertmanagers) {
    for (const protocol of ['TCP', 'UDP'] as const) {
      flows.push({ kind: 'alertmanager-peers', from: podParty(am), to: podParty(am), port: 9094, protocol, hosts: [], why: 'Alertmanager cluster gossip (silences, notification log)' });
    }
  }
  return flows;
}

/** `*\/name` for host names outside the cluster (their ServiceEntry may sit in any namespace); `ns/name` kept. */
function externalHosts(names: readonly string[]): string[] {
  return names.map(h => (h.includes('/') ? h : `*/${h}`));
}

/** The registry host of the Kubernetes API: the `kubernetes` Service of the `default` namespace. */
function kubernetesApiHost(clusterDomain: string): string {
  return `default/kubernetes.default.svc.${clusterDomain}`;
}

/**
 * The OpenTelemetry SDK's OTLP endpoint variables, traces first: a container that sets one exports
 * spans there (the SDK default is `localhost`, so only a set variable makes a flow).
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/#configuration-options
 */
const OTLP_ENDPOINT_VARIABLES = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'];

/**
 * Telemetry exporters to the collectors: every container whose OTel SDK endpoint variable names a
 * Service of the app (`http://<svc>.<ns>[.svc[.<domain>]]:<port>`) sends to the pods behind it, on
 * the Service port's target. Endpoints outside the app's Services are the exporter's own business
 * (the collector's, the log shipper's outputs are declared by their constructs).
 */
function telemetryFlows(model: RuntimeModel): Flow[] {
  const flows: Flow[] = [];
  for (const p of model.pods) {
    for (const c of p.spec?.containers ?? []) {
      const env: any[] = c.env ?? [];
      const value = OTLP_ENDPOINT_VARIABLES.map(n => env.find(e => e?.name === n)?.value).find(v => typeof v === 'string');
      if (!value) continue;
      const target = otlpTarget(value, p.namespace);
      const svc = target && model.service(target.namespace, target.service);
      if (!target || !svc?.selector) continue;
      const sp = svc.ports.find(x => x.port === target.port) ?? (svc.ports.length === 1 ? svc.ports[0] : undefined);
      if (!sp) continue;
      for (const to of model.podsSelectedBy(svc.namespace, { matchLabels: { ...svc.selector } })) {
        flows.push({
          kind: 'telemetry',
          from: podParty(p),
          to: podParty(to),
          port: sp.targetPort ?? sp.port,
          protocol: 'TCP',
          hosts: [`${svc.namespace}/${svc.name}.${svc.namespace}.svc.${p.platform.clusterDomain}`],
          why: `${c.name} exports traces to ${value}`,
        });
      }
    }
  }
  return flows;
}

/** The Service an OTLP endpoint names: `[scheme://]<service>.<namespace>[.svc[.<domain>]][:port]` (a bare `<service>` is the caller's namespace). */
function otlpTarget(endpoint: string, callerNamespace: string): { service: string; namespace: string; port: number } | undefined {
  const m = /^(?:(https?):\/\/)?([a-z0-9.-]+)(?::(\d+))?(?:\/.*)?$/.exec(endpoint.trim());
  if (!m) return undefined;
  const parts = m[2].split('.');
  if (parts.length > 2 && parts[2] !== 'svc') return undefined;
  const port = m[3] !== undefined ? Number(m[3]) : m[1] === 'https' ? 443 : m[1] === 'http' ? 80 : 4317;
  return { service: parts[0], namespace: parts[1] ?? callerNamespace, port };
}

/** A Thanos Query's StoreAPI endpoints outside the cluster (`--endpoint=host:port`, not `dnssrv+`). */
function remoteStoreEndpoints(q: PodView): string[] {
  const args: string[] = (q.spec?.containers ?? []).flatMap((c: any) => c.args ?? []);
  return args.filter(a => a.startsWith('--endpoint=') && !a.startsWith('--endpoint=dnssrv+')).map(a => a.slice('--endpoint='.length));
}

/** The platform's other regions (with their VPC CIDRs) than the region of `p`. */
function otherRegions(p: PodView): Array<{ name: string; vpcCidr: string }> {
  const region = p.source.region;
  if (!region) return [];
  return region.platform.regions
    .filter(r => r.name !== region.name && r.vpcCidr !== undefined)
    .map(r => ({ name: r.name, vpcCidr: r.vpcCidr! }));
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

interface PolicyRef { readonly policy: CheckedObject; readonly direction: 'ingress' | 'egress' }

/** A NetworkPolicy port, read once: a number, a port name, or every port (`undefined`). */
interface CompiledPort { readonly protocol: string; readonly port?: number | string; readonly endPort?: number }
/** A NetworkPolicy rule, read once: its ports (`undefined`: every port) and peers (none: every peer). */
interface CompiledRule { readonly ports?: readonly CompiledPort[]; readonly peers: readonly any[] }

class TrafficEvaluator {
  private readonly npIndex = new SelectorIndex<CheckedObject>();
  /** NetworkPolicy peers some needed flow used, per policy: {@link peerKey} of direction, rule and peer. */
  private readonly used = new Map<CheckedObject, Set<number>>();
  private readonly byNamespace = new Map<string, CheckedObject[]>();
  private readonly pgHba = new Map<string, string[] | undefined>();
  /** NetworkPolicies isolating each pod view, per direction (a pod has several flows). */
  private readonly isolating = new Map<PodView, Record<'ingress' | 'egress', CheckedObject[]>>();
  private readonly nsLabels = new Map<string, Record<string, string>>();
  private readonly sidecars = new Map<PodView, CheckedObject | undefined>();
  /** The PeerAuthentications (workload, namespace, root) and AuthorizationPolicies that apply to each pod view. */
  private readonly peerAuthentications = new Map<PodView, Array<CheckedObject | undefined>>();
  private readonly authorizationPolicies = new Map<PodView, CheckedObject[]>();
  /** The inbound ports each pod view's sidecar does not capture (`excludeInboundPorts`). */
  private readonly excludedInbound = new Map<PodView, Set<string>>();
  /** Each NetworkPolicy's rules per direction, read once: their ports and peers. */
  private readonly compiled = new Map<CheckedObject, Record<'ingress' | 'egress', CompiledRule[]>>();
  private readonly egressHosts = new Map<CheckedObject, Map<string, boolean>>();
  /** ServiceEntries by exact host, by wildcard suffix (`*.example.com` under `.example.com`), and those with addresses. */
  private readonly entriesByHost = new Map<string, CheckedObject[]>();
  private readonly wildcardEntries: Array<{ readonly suffix: string; readonly entry: CheckedObject }> = [];
  private readonly addressEntries: CheckedObject[] = [];

  /** Sidecars, PeerAuthentications and AuthorizationPolicies by the workloads they select. */
  private readonly workloadIndex = new Map<MeshPolicyKind, SelectorIndex<CheckedObject>>();
  private readonly position = new Map<CheckedObject, number>();
  private readonly selecting = new Map<string, Map<PodView, CheckedObject[]>>();

  constructor(private readonly model: RuntimeModel) {
    for (const np of model.ofKind('NetworkPolicy')) this.npIndex.add(np.namespace, np.json.spec?.podSelector ?? {}, np);
    for (const se of model.ofKind('ServiceEntry')) {
      for (const h of se.json.spec?.hosts ?? []) {
        if (typeof h !== 'string') continue;
        if (h.startsWith('*')) this.wildcardEntries.push({ suffix: h.slice(1), entry: se });
        else push(this.entriesByHost, h, se);
      }
      if ((se.json.spec?.addresses ?? []).length > 0) this.addressEntries.push(se);
    }
    for (const kind of MESH_POLICY_KINDS) {
      const index = new SelectorIndex<CheckedObject>();
      this.workloadIndex.set(kind, index);
      for (const o of model.ofKind(kind)) {
        this.position.set(o, this.position.size);
        const selector = workloadSelectorOf(kind, o);
        if (selector) {
          index.add(o.namespace, selector, o);
        } else {
          const key = `${kind}/${o.namespace}`;
          (this.byNamespace.get(key) ?? this.byNamespace.set(key, []).get(key)!).push(o);
        }
      }
    }
  }

  /**
   * The objects of `kind` in `namespace` (`p`'s own by default) whose workload selector selects `p` (runtime labels
   * included), in the app's order; found through the selectors' label pairs, not by scanning them.
   */
  private selectingWorkload(kind: MeshPolicyKind, p: PodView, namespace = p.namespace): CheckedObject[] {
    const key = `${kind}/${namespace}`;
    let perPod = this.selecting.get(key);
    if (!perPod) this.selecting.set(key, perPod = new Map());
    let out = perPod.get(p);
    if (!out) {
      const index = this.workloadIndex.get(kind)!;
      if (!index.has(namespace)) {
        perPod.set(p, out = []);
        return out;
      }
      const found = new Set(index.lookup(namespace, { ...p.labels }));
      for (const [k, values] of Object.entries(p.runtimeLabels)) {
        for (const v of values) for (const o of index.lookup(namespace, { ...p.labels, [k]: v })) found.add(o);
      }
      out = [...found].filter(o => podMatches(p, workloadSelectorOf(kind, o)!)).sort((a, b) => this.position.get(a)! - this.position.get(b)!);
      perPod.set(p, out);
    }
    return out;
  }

  /** The objects of `kind` in `namespace` that select no workload (namespace-wide, or mesh-wide in the root namespace). */
  private namespaceWide(kind: MeshPolicyKind, namespace: string): readonly CheckedObject[] {
    return this.byNamespace.get(`${kind}/${namespace}`) ?? [];
  }

  public run(): TrafficReport {
    const flows = deriveFlows(this.model);
    const blocked: Array<{ flow: Flow; block: Block }> = [];
    const seen = new Set<string>();
    for (const flow of flows) {
      const block = this.evaluate(flow);
      if (!block) continue;
      // One finding per (flow kind, ends, port, blocker): Flagger's primary and canary share a template.
      const key = [flow.kind, flow.from.label, flow.to.pods?.source.path ?? flow.to.label, flow.port, flow.protocol, block.object.path].join('\u0000');
      if (seen.has(key)) continue;
      seen.add(key);
      blocked.push({ flow, block });
    }
    const unused: TrafficReport['unused'][number][] = [];
    // Only peers naming pods (a podSelector) in a namespace where the app runs pods are judged: the
    // model knows the flows of the app's pods. A whole namespace (it may run pods outside the app, such
    // as a Prometheus another app installs), every namespace, and addresses outside the cluster are not.
    const appNamespaces = new Set(this.model.pods.map(p => p.namespace));
    const judged = (peer: any, policyNamespace: string) => {
      if (peer.ipBlock || !peer.podSelector) return false;
      if (!peer.namespaceSelector) return appNamespaces.has(policyNamespace);
      const name = peer.namespaceSelector.matchLabels?.[LABELS.namespaceName];
      return name !== undefined && appNamespaces.has(name);
    };
    for (const np of this.model.ofKind('NetworkPolicy')) {
      if (!enforcesNetworkPolicy(this.model.platformOf(np))) continue;
      (np.json.spec?.ingress ?? []).forEach((rule: any, i: number) => (rule.from ?? []).forEach((peer: any, j: number) => {
        if (!judged(peer, np.namespace)) return;
        if (!this.used.get(np)?.has(peerKey('ingress', i, j))) unused.push({ policy: np, direction: 'ingress', rule: i, peer: j });
      }));
    }
    return { flows, blocked, unused };
  }

  private evaluate(flow: Flow): Block | undefined {
    const destPort = this.numericPort(flow);
    const egress = flow.from.pods ? this.networkPolicy(flow, { direction: 'egress' }, flow.from.pods, destPort) : undefined;
    if (egress) return egress;
    const ingress = flow.to.pods && !flow.from.node ? this.networkPolicy(flow, { direction: 'ingress' }, flow.to.pods, destPort) : undefined;
    if (ingress) return ingress;
    if (flow.kind === 'dns' || flow.kind === 'istiod') return undefined; // the proxy's own and DNS traffic bypass Sidecar and mTLS
    const route = this.routeBetweenRegions(flow);
    if (route) return route;
    const { block: sidecarBlock, mtls } = this.sidecarEgress(flow, destPort);
    if (sidecarBlock) return sidecarBlock;
    const pa = this.peerAuthentication(flow, destPort, mtls);
    if (pa) return pa;
    const authz = this.authorization(flow, destPort, mtls);
    if (authz) return authz;
    return this.appAllowList(flow, destPort);
  }

  /** The destination port as a number, resolving a named port on the destination pods. */
  private numericPort(flow: Flow): number | undefined {
    if (typeof flow.port === 'number') return flow.port;
    if (/^\d+$/.test(flow.port)) return Number(flow.port);
    return flow.to.pods?.ports.find(p => p.name === flow.port)?.containerPort;
  }

  // -- Routes between regions ------------------------------------------------------------

  /**
   * A flow between the app's pods and another region's VPC (Thanos Query reading the other regions'
   * stores, their Query reading this region's) crosses the regions' networks: VPCs are isolated
   * from each other until something routes between them (VPC peering or a transit gateway, with
   * routes in both VPCs' route tables), so the region's cluster must provide
   * `network:cross-region-routes:<other region>` for each region it crosses into.
   * @see https://docs.aws.amazon.com/vpc/latest/peering/what-is-vpc-peering.html
   * @see https://docs.aws.amazon.com/vpc/latest/tgw/what-is-transit-gateway.html
   */
  private routeBetweenRegions(flow: Flow): Block | undefined {
    const local = flow.from.pods ?? flow.to.pods;
    const remote = flow.from.pods ? flow.to : flow.from;
    const region = local?.source.region;
    if (!local || !region || !remote.cidrs) return undefined;
    const crossed = region.platform.regions.filter(r => r.name !== region.name && r.vpcCidr !== undefined
      && remote.cidrs!.some(c => cidrOverlaps(c, r.vpcCidr!)) && !(remote.exceptCidrs ?? []).some(x => cidrContains(x, r.vpcCidr!)));
    const provided = capabilitiesOf(region);
    const missing = crossed.filter(r => !provided.has(Capability.crossRegionRoutes(r.name)));
    if (missing.length === 0) return undefined;
    const names = missing.map(r => `${r.name} (${r.vpcCidr})`).join(', ');
    return {
      object: local.source,
      why: `it crosses from ${region.name} into the VPC of ${names}, and nothing routes between the regions' VPCs: the cluster of ${region.name} does not provide ${missing.map(r => JSON.stringify(Capability.crossRegionRoutes(r.name))).join(', ')}`,
      fix: fixFor(Capability.crossRegionRoutes(missing[0].name)),
    };
  }

  // -- 1. NetworkPolicy --------------------------------------------------------------------

  private networkPolicy(flow: Flow, ref: Omit<PolicyRef, 'policy'>, pods: PodView, destPort: number | undefined): Block | undefined {
    // A cluster without a policy engine accepts NetworkPolicies and ignores them (NINES-CAP-01 reports
    // the missing capability): nothing is isolated, nothing blocked.
    if (!enforcesNetworkPolicy(pods.platform)) return undefined;
    const policies = this.isolatingPolicies(pods)[ref.direction];
    if (policies.length === 0) return undefined;
    const other = ref.direction === 'egress' ? flow.to : flow.from;
    let admitted = false;
    for (const np of policies) {
      const rules = this.rulesOf(np)[ref.direction];
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        if (!this.portsMatch(rule.ports, flow, destPort)) continue;
        if (rule.peers.length === 0) {
          if (ref.direction === 'egress') return undefined;
          admitted = true;
          continue;
        }
        for (let j = 0; j < rule.peers.length; j++) {
          if (!this.peerMatches(rule.peers[j], np.namespace, other)) continue;
          admitted = true;
          // Only ingress peers are judged for least privilege (NINES-RT-NET-02): an admitted egress needs no more.
          if (ref.direction === 'egress') return undefined;
          let used = this.used.get(np);
          if (!used) this.used.set(np, used = new Set());
          used.add(peerKey(ref.direction, i, j));
        }
      }
    }
    if (admitted) return undefined;
    // Blame the policy written for these pods (not the namespace's default deny) when there is one.
    const blamed = policies.find(np => Object.keys(np.json.spec?.podSelector?.matchLabels ?? {}).length > 0) ?? policies[0];
    const port = `${flow.port}/${flow.protocol}`;
    return {
      object: blamed,
      why: `NetworkPolicy ${blamed.namespace}/${blamed.name} ${ref.direction === 'egress' ? 'egress' : 'ingress'} admits no rule for ${other.label} on ${port}`
        + ' (Kubernetes NetworkPolicy: a selected pod is isolated for that direction and only what a rule admits passes)',
      fix: ref.direction === 'egress'
        ? `add an egress rule to ${peerText(other)} on ${port} to a NetworkPolicy selecting ${pods.workload}`
        : `add an ingress rule from ${peerText(other)} on ${port} to a NetworkPolicy selecting ${pods.workload}`,
    };
  }

  /** A policy's rules per direction: the ports (numbers where numeric) and the peers. */
  private rulesOf(np: CheckedObject): Record<'ingress' | 'egress', CompiledRule[]> {
    let r = this.compiled.get(np);
    if (!r) {
      const compile = (rules: any[] | undefined, peersOf: (rule: any) => any[] | undefined): CompiledRule[] => (rules ?? []).map(rule => ({
        ports: rule.ports && rule.ports.length > 0 ? rule.ports.map((p: any) => ({
          protocol: p.protocol ?? 'TCP',
          port: p.port === undefined ? undefined : typeof p.port === 'number' || /^\d+$/.test(p.port) ? Number(p.port) : String(p.port),
          endPort: p.endPort === undefined ? undefined : Number(p.endPort),
        })) : undefined,
        peers: peersOf(rule) ?? [],
      }));
      this.compiled.set(np, r = { ingress: compile(np.json.spec?.ingress, x => x.from), egress: compile(np.json.spec?.egress, x => x.to) });
    }
    return r;
  }

  private isolatingPolicies(p: PodView): Record<'ingress' | 'egress', CheckedObject[]> {
    let r = this.isolating.get(p);
    if (!r) {
      const all = this.policiesSelecting(p);
      this.isolating.set(p, r = { ingress: all.filter(np => isolates(np, 'ingress')), egress: all.filter(np => isolates(np, 'egress')) });
    }
    return r;
  }

  private policiesSelecting(p: PodView): CheckedObject[] {
    const labels: Record<string, string> = { ...p.labels };
    const out = this.npIndex.lookup(p.namespace, labels);
    // Runtime labels (Patroni's role) may satisfy a selector too.
    for (const [k, values] of Object.entries(p.runtimeLabels)) {
      for (const v of values) for (const np of this.npIndex.lookup(p.namespace, { ...labels, [k]: v })) if (!out.includes(np)) out.push(np);
    }
    return out;
  }

  private portsMatch(ports: readonly CompiledPort[] | undefined, flow: Flow, destPort: number | undefined): boolean {
    if (!ports) return true;
    for (const p of ports) {
      if (p.protocol !== flow.protocol) continue;
      if (p.port === undefined) return true;
      if (typeof p.port === 'string') {
        // A named port is the destination pods' port of that name.
        const named = flow.to.pods?.ports.find(x => x.name === p.port)?.containerPort;
        if (p.port === flow.port || (destPort !== undefined && named === destPort)) return true;
        continue;
      }
      if (destPort !== undefined && (p.endPort !== undefined ? destPort >= p.port && destPort <= p.endPort : destPort === p.port)) return true;
    }
    return false;
  }

  /** Whether one `from`/`to` entry of a rule admits `party`. */
  private peerMatches(peer: any, policyNamespace: string, party: FlowParty): boolean {
    if (peer.ipBlock) {
      if (party.cidrs) {
        // The block admits every address of the party: it contains the party's ranges and excludes only what the party excludes.
        const partyExcept = party.exceptCidrs ?? [];
        return party.cidrs.every(c => cidrContains(peer.ipBlock.cidr, c))
          && (peer.ipBlock.except ?? []).every((x: string) =>
            partyExcept.some(y => cidrContains(y, x)) || party.cidrs!.every(c => !cidrOverlaps(x, c)));
      }
      // A pod's address is some address of the cluster's pod network: only a block of every address admits it for sure.
      return !party.node && /\/0$/.test(peer.ipBlock.cidr) && (peer.ipBlock.except ?? []).length === 0 && party.namespace !== undefined;
    }
    if (party.namespace === undefined || party.labels === undefined) return false;
    if (peer.namespaceSelector) {
      if (!selects(peer.namespaceSelector, this.namespaceLabels(party.namespace))) return false;
    } else if (party.namespace !== policyNamespace) {
      return false;
    }
    if (peer.podSelector) {
      return party.pods ? podMatches(party.pods, peer.podSelector) : selects(peer.podSelector, party.labels);
    }
    return true;
  }

  /** A namespace's labels, with `kubernetes.io/metadata.name`, which Kubernetes sets on every namespace. */
  private namespaceLabels(ns: string): Record<string, string> {
    // @see https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-metadata-name
    let labels = this.nsLabels.get(ns);
    if (!labels) this.nsLabels.set(ns, labels = { ...this.model.namespace(ns).labels, [LABELS.namespaceName]: ns });
    return labels;
  }

  // -- 2. Sidecar egress -------------------------------------------------------------------

  /**
   * What the caller's sidecar does with the connection. The outbound policy is the Sidecar's own
   * `outboundTrafficPolicy`, else the mesh's (`meshConfig.outboundTrafficPolicy`, the platform's
   * `mesh.outboundTrafficPolicy`). A Sidecar with `egress` listeners makes only the hosts they list
   * visible to the proxy. Under REGISTRY_ONLY a destination outside the registry (the cluster's
   * Services and the ServiceEntries exported to the caller's namespace, on a declared port) or not
   * in the Sidecar's hosts goes to the BlackHoleCluster; under ALLOW_ANY it leaves through the
   * PassthroughCluster in plaintext.
   * @see https://istio.io/latest/docs/reference/config/networking/sidecar/ (egress hosts, OutboundTrafficPolicy)
   * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-OutboundTrafficPolicy-Mode
   * @see https://istio.io/latest/docs/reference/config/networking/service-entry/ (hosts, ports, exportTo)
   */
  private sidecarEgress(flow: Flow, destPort: number | undefined): { block?: Block; mtls: boolean } {
    const from = flow.from.pods;
    if (!from) {
      // Add-ons outside the app: meshed when their namespace is (a Namespace the app declares), else
      // what the platform tells of the add-on namespaces (addonNamespaceMeshed: on the library's cluster
      // Flagger's namespace is injected, Chaos Mesh's is not); not known: not judged.
      // A caller from outside the cluster (another region's VPC) presents no certificate of this mesh.
      if (flow.from.cidrs) return { mtls: false };
      if (flow.ownMtls === true || isGateway(flow.from) || flow.from.namespace === undefined) return { mtls: true };
      const ns = this.model.namespaces.get(flow.from.namespace);
      if (ns) return { mtls: ns.injection };
      const platform = flow.to.pods?.platform;
      return { mtls: platform === undefined || addonNamespaceMeshed(platform, flow.from.namespace) !== false };
    }
    const outboundCaptured = from.meshed && from.annotations['traffic.sidecar.istio.io/includeOutboundIPRanges'] !== '';
    if (!outboundCaptured) return { mtls: flow.ownMtls === true };
    const sidecar = this.sidecarFor(from);
    const own: string | undefined = sidecar?.json.spec?.outboundTrafficPolicy?.mode;
    const mode = own ?? from.platform.mesh.outboundTrafficPolicy;
    const policy = own ? `Istio Sidecar ${sidecar!.namespace}/${sidecar!.name} (REGISTRY_ONLY)` : 'the mesh\'s outboundTrafficPolicy REGISTRY_ONLY (platform mesh.outboundTrafficPolicy)';
    if (flow.to.cidrs) {
      // Outside the cluster: no mesh certificate either way.
      if (mode !== 'REGISTRY_ONLY') return { mtls: false };
      const registered = this.registered(flow, from.namespace, destPort);
      if (registered.length === 0) {
        const names = flow.hosts.map(h => h.split('/').slice(1).join('/'));
        const what = names.length > 0 ? names.join(', ') : flow.to.cidrs.join(', ');
        return {
          mtls: false,
          block: {
            object: own ? sidecar! : from.source,
            why: `${what} on port ${flow.port} is in no ServiceEntry exported to namespace ${from.namespace}, and under ${policy} ${from.workload}'s proxy sends a connection outside the service registry to the BlackHoleCluster`,
            fix: names.length > 0
              ? `register ${names.map(n => JSON.stringify(n)).join(', ')} on port ${flow.port} with a ServiceEntry exported to ${from.namespace} (an ExternalEndpoint with those hosts and ports)`
              : `name the host the caller dials and register it with a ServiceEntry (an ExternalEndpoint), or register the addresses ${flow.to.cidrs.join(', ')} on port ${flow.port} (ServiceEntry spec.addresses)`,
          },
        };
      }
      if (sidecar && !registered.some(r => this.egressListed(sidecar, r))) {
        return { mtls: false, block: this.notListed(flow, from, sidecar, registered[0], own !== undefined) };
      }
      return { mtls: false };
    }
    if (!sidecar) {
      // Every Service of the cluster is in the registry; a destination reached by Pod IP without one is not.
      if (mode === 'REGISTRY_ONLY' && flow.hosts.length === 0) {
        return {
          mtls: false,
          block: {
            object: from.source,
            why: `no Service selects ${flow.to.label}, so under ${policy} ${from.workload}'s proxy sends a connection to its Pod IPs to the BlackHoleCluster`,
            fix: `select ${flow.to.label} with a (headless) Service and call it by that name`,
          },
        };
      }
      return { mtls: true };
    }
    if (flow.hosts.some(h => this.egressListed(sidecar, h))) return { mtls: true };
    if (mode === 'REGISTRY_ONLY') return { mtls: false, block: this.notListed(flow, from, sidecar, flow.hosts[0], own !== undefined) };
    // ALLOW_ANY: the passthrough cluster forwards in plaintext.
    return { mtls: false };
  }

  private notListed(flow: Flow, from: PodView, sidecar: CheckedObject, host: string | undefined, own: boolean): Block {
    const mode = own ? '(REGISTRY_ONLY)' : '(the mesh\'s outboundTrafficPolicy REGISTRY_ONLY, platform mesh.outboundTrafficPolicy)';
    return {
      object: sidecar,
      why: `Istio Sidecar ${sidecar.namespace}/${sidecar.name} ${mode} does not list ${host ?? flow.to.label} in egress.hosts, so ${from.workload}'s proxy refuses the connection`,
      fix: `add "${host ?? `${flow.to.namespace}/*`}" to the Sidecar's egress hosts (declare the call with dependOn)`,
    };
  }

  /**
   * The registry hosts (`<ServiceEntry namespace>/<fqdn>`) a flow outside the cluster reaches: its host names in
   * a ServiceEntry exported to `namespace` with the port, or (no names) its addresses in a ServiceEntry's `addresses`.
   * `exportTo` unset is every namespace (meshConfig.defaultServiceExportTo, `*` by default); `.` its own; `~` none.
   */
  private registered(flow: Flow, namespace: string, port: number | undefined): string[] {
    const visible = (se: CheckedObject) => {
      const to: string[] = se.json.spec?.exportTo ?? ['*'];
      const portOk = port === undefined || (se.json.spec?.ports ?? []).some((p: any) => Number(p.number) === port);
      return portOk && to.some(x => x === '*' || x === namespace || (x === '.' && se.namespace === namespace));
    };
    const out: string[] = [];
    for (const h of flow.hosts) {
      const name = h.split('/').slice(1).join('/');
      // A Service of the cluster is in the registry (the app's, and the API server's `kubernetes` in `default`).
      const svc = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\./.exec(name);
      if (svc) {
        if (this.model.service(svc[2], svc[1]) || (svc[2] === 'default' && svc[1] === 'kubernetes')) out.push(`${svc[2]}/${name}`);
        continue;
      }
      const entries = [...(this.entriesByHost.get(name) ?? []), ...this.wildcardEntries.filter(w => name.endsWith(w.suffix)).map(w => w.entry)];
      for (const se of entries) if (visible(se)) out.push(`${se.namespace}/${name}`);
    }
    if (flow.hosts.length === 0) {
      for (const se of this.addressEntries) {
        const addresses: string[] = se.json.spec.addresses;
        if (visible(se) && flow.to.cidrs!.every(c => addresses.some(a => cidrContains(a.includes('/') ? a : `${a}/32`, c)))) out.push(`${se.namespace}/*`);
      }
    }
    return out;
  }

  /** Whether a Sidecar's `egress.hosts` list a mesh host (memoised: many flows share a Sidecar and a host). */
  private egressListed(sidecar: CheckedObject, host: string): boolean {
    let listed = this.egressHosts.get(sidecar);
    if (!listed) this.egressHosts.set(sidecar, listed = new Map());
    let hit = listed.get(host);
    if (hit === undefined) {
      // A Sidecar without egress listeners leaves every host visible (the mesh-wide default).
      const egress: any[] | undefined = sidecar.json.spec?.egress;
      const patterns: string[] = (egress ?? []).flatMap((e: any) => e.hosts ?? []);
      listed.set(host, hit = egress === undefined || patterns.some(pattern => hostMatches(pattern, host, sidecar.namespace)));
    }
    return hit;
  }

  private sidecarFor(p: PodView): CheckedObject | undefined {
    if (!this.sidecars.has(p)) this.sidecars.set(p, this.findSidecar(p));
    return this.sidecars.get(p);
  }

  private findSidecar(p: PodView): CheckedObject | undefined {
    return this.selectingWorkload('Sidecar', p)[0] ?? this.namespaceWide('Sidecar', p.namespace)[0] ?? this.namespaceWide('Sidecar', p.platform.meshNamespace)[0];
  }

  // -- 3. PeerAuthentication ---------------------------------------------------------------

  private inboundCaptured(p: PodView, port: number | undefined): boolean {
    if (!p.meshed) return false;
    if (p.annotations['traffic.sidecar.istio.io/includeInboundPorts'] === '') return false;
    let excluded = this.excludedInbound.get(p);
    if (!excluded) {
      this.excludedInbound.set(p, excluded = new Set(String(p.annotations['traffic.sidecar.istio.io/excludeInboundPorts'] ?? '').split(',').map(x => x.trim())));
    }
    return port === undefined || !excluded.has(String(port));
  }

  private peerAuthentication(flow: Flow, port: number | undefined, mtls: boolean): Block | undefined {
    const to = flow.to.pods;
    if (!to || !this.inboundCaptured(to, port)) return undefined;
    if (flow.from.node) {
      // Probes are rewritten to the agent (port 15020, not captured) unless the pod opts out.
      if (to.annotations['sidecar.istio.io/rewriteAppHTTPProbers'] !== 'false') return undefined;
      mtls = false;
    }
    if (mtls) return undefined;
    const { mode, object } = this.mtlsMode(to, port);
    if (mode !== 'STRICT' || !object) return undefined;
    return {
      object,
      why: `PeerAuthentication ${object.namespace}/${object.name} requires mutual TLS (STRICT) on ${to.workload}, and ${flow.from.label} connects in plaintext`
        + (flow.from.pods?.meshed ? ' (its own sidecar forwards the call through the passthrough cluster or does not intercept it)' : ' (it runs outside the mesh)'),
      fix: flow.kind === 'scrape'
        ? 'scrape with the Istio certificate of a certificate-only sidecar on Prometheus (Istio "Prometheus: TLS settings"): scheme https and tlsConfig on the ServiceMonitor endpoint'
        : flow.from.node ? 'let Istio rewrite the probes (remove sidecar.istio.io/rewriteAppHTTPProbers: "false")'
          : `put ${flow.from.label} in the mesh, or set a port-level PERMISSIVE mode for port ${flow.port} on a PeerAuthentication selecting ${to.workload}, with the reason written down`,
    };
  }

  private mtlsMode(p: PodView, port: number | undefined): { mode: string; object?: CheckedObject } {
    const modeOf = (pa: CheckedObject): string | undefined => {
      const portLevel = port !== undefined ? pa.json.spec?.portLevelMtls?.[String(port)]?.mode : undefined;
      const m = portLevel ?? pa.json.spec?.mtls?.mode;
      return m === 'UNSET' ? undefined : m;
    };
    let candidates = this.peerAuthentications.get(p);
    if (!candidates) {
      this.peerAuthentications.set(p, candidates = [this.selectingWorkload('PeerAuthentication', p)[0], this.namespaceWide('PeerAuthentication', p.namespace)[0],
        this.namespaceWide('PeerAuthentication', p.platform.meshNamespace)[0]]);
    }
    for (const pa of candidates) {
      if (!pa) continue;
      const m = modeOf(pa);
      if (m) return { mode: m, object: pa };
    }
    return { mode: 'PERMISSIVE' };
  }

  // -- 4. AuthorizationPolicy ---------------------------------------------------------------

  private authorization(flow: Flow, port: number | undefined, mtls: boolean): Block | undefined {
    const to = flow.to.pods;
    if (!to || !this.inboundCaptured(to, port) || flow.from.node) return undefined;
    // Policies of the pods' namespace (selecting them, or namespace-wide) and those of the root namespace
    // (a selector there applies in every namespace).
    let applicable = this.authorizationPolicies.get(to);
    if (!applicable) {
      const root = to.platform.meshNamespace;
      this.authorizationPolicies.set(to, applicable = [...this.selectingWorkload('AuthorizationPolicy', to), ...this.namespaceWide('AuthorizationPolicy', to.namespace),
        ...(to.namespace === root ? [] : [...this.selectingWorkload('AuthorizationPolicy', to, root), ...this.namespaceWide('AuthorizationPolicy', root)])]);
    }
    if (applicable.length === 0) return undefined;
    // The caller's identity: its sidecar's certificate names its ServiceAccount (the app's pods carry theirs; an
    // add-on's comes from its chart, see lib/core/addons.ts); a plaintext caller has neither principal nor namespace.
    const account = flow.from.pods?.serviceAccount ?? flow.from.serviceAccount;
    const source = {
      namespace: mtls ? flow.from.namespace : undefined,
      principal: mtls && account && flow.from.namespace ? principalOf(flow.from.namespace, account) : undefined,
    };
    const any = (patterns: string[] | undefined, value: string | undefined) =>
      value !== undefined && (patterns ?? []).some(x => istioStringMatch(x, value));
    const ruleMatches = (rule: any) => {
      const fromOk = !rule.from || rule.from.some((f: any) => {
        const s = f.source ?? {};
        if (s.namespaces && !any(s.namespaces, source.namespace)) return false;
        if (s.notNamespaces && any(s.notNamespaces, source.namespace)) return false;
        if (s.principals && !any(s.principals, source.principal)) return false;
        if (s.notPrincipals && any(s.notPrincipals, source.principal)) return false;
        return true;
      });
      const toOk = !rule.to || rule.to.some((t: any) => {
        const op = t.operation ?? {};
        if (op.ports && !(port !== undefined && op.ports.includes(String(port)))) return false;
        if (op.notPorts && port !== undefined && op.notPorts.includes(String(port))) return false;
        return true;
      });
      return fromOk && toOk;
    };
    for (const ap of applicable.filter(a => a.json.spec?.action === 'DENY')) {
      if ((ap.json.spec?.rules ?? []).some(ruleMatches)) {
        return { object: ap, why: `AuthorizationPolicy ${ap.namespace}/${ap.name} (DENY) matches ${flow.from.label} on port ${flow.port}`, fix: 'narrow the DENY rule so it does not match this needed flow' };
      }
    }
    const allows = applicable.filter(a => (a.json.spec?.action ?? 'ALLOW') === 'ALLOW');
    if (allows.length === 0 || allows.some(a => (a.json.spec?.rules ?? []).some(ruleMatches))) return undefined;
    return {
      object: allows[0],
      why: `AuthorizationPolicy ${allows[0].namespace}/${allows[0].name} (ALLOW) has no rule admitting ${flow.from.label} on port ${flow.port}${mtls ? '' : ' (a plaintext caller has no principal or namespace to match)'}`,
      fix: `add a rule with source ${mtls ? `principals ["${source.principal ?? principalOf(flow.from.namespace ?? '<its namespace>', '<its service account>')}"]` : 'identity (the caller must use mTLS first)'} and port ${flow.port}`,
    };
  }

  // -- 5. Application allow lists (pg_hba) ------------------------------------------------

  private appAllowList(flow: Flow, port: number | undefined): Block | undefined {
    const to = flow.to.pods;
    if (!to || port === undefined) return undefined;
    const hba = this.pgHbaOf(to, port);
    if (!hba) return undefined;
    const { lines, configMap } = hba;
    const proxied = this.inboundCaptured(to, port);
    // The address PostgreSQL sees: the sidecar's inbound source behind the sidecar, else the caller's Pod IP.
    const address = proxied ? ISTIO_INBOUND_SOURCE_ADDRESS : undefined;
    const database = flow.postgresReplication ? 'replication' : 'app';
    for (const raw of lines) {
      const [type, db, , cidr, method] = raw.trim().split(/\s+/);
      if (type !== 'host' && type !== 'hostssl') continue;
      if (database === 'replication' ? db !== 'replication' : db === 'replication') continue;
      // Lines for the superuser (refused from every network) do not decide an application's login.
      if (method === 'reject') continue;
      const covers = address ? (cidr === 'all' || cidrContains(cidr, `${address}/32`)) : (cidr === 'all' || !cidr.startsWith('127.') && !cidr.startsWith('::1'));
      if (covers) return undefined;
    }
    const seen = address ? `${address} (Istio's inbound passthrough source: the sidecar terminates mTLS and reconnects from there)` : `a Pod IP of ${flow.from.label}`;
    return {
      object: configMap,
      why: `pg_hba of ${to.workload} admits no ${database === 'replication' ? 'replication' : 'client'} connection from ${seen}`,
      fix: address ? `admit ${address}/32 (scram-sha-256) for ${database === 'replication' ? 'replication' : 'clients'} (PatroniCluster renders it through clientAccess.proxySourceCidrs)`
        : 'admit the Pod CIDRs the callers run in (podCidrs)',
    };
  }

  private pgHbaOf(p: PodView, port: number): { lines: string[]; configMap: CheckedObject } | undefined {
    if (!p.ports.some(x => x.containerPort === port && x.name === 'postgresql')) return undefined;
    for (const v of p.spec?.volumes ?? []) {
      const name = v.configMap?.name;
      if (!name) continue;
      const cm = this.model.object(p.namespace, 'ConfigMap', name);
      const text = cm?.json.data?.['patroni.yml'];
      if (!cm || typeof text !== 'string') continue;
      const key = `${p.namespace}/${name}`;
      if (!this.pgHba.has(key)) this.pgHba.set(key, (parse(text)?.postgresql?.pg_hba ?? []) as string[]);
      return { lines: this.pgHba.get(key) ?? [], configMap: cm };
    }
    return undefined;
  }
}

/**
 * Whether the cluster enforces NetworkPolicies: the platform's declared capabilities list
 * `network-policy`, or it is the library's AWS cluster (the VPC CNI with enableNetworkPolicy).
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites
 * @see lib/core/capabilities.ts (Capability.NETWORK_POLICY, ninesClusterCapabilities)
 */
function enforcesNetworkPolicy(platform: PlatformSettings): boolean {
  return platform.capabilities === undefined || platform.capabilities.includes(Capability.NETWORK_POLICY);
}

const MESH_POLICY_KINDS = ['Sidecar', 'PeerAuthentication', 'AuthorizationPolicy'] as const;
type MeshPolicyKind = typeof MESH_POLICY_KINDS[number];

/** The workload selector of an Istio Sidecar (`workloadSelector.labels`) or policy (`selector`); undefined: the whole namespace. */
function workloadSelectorOf(kind: MeshPolicyKind, o: CheckedObject): LabelSelector | undefined {
  const spec = o.json.spec ?? {};
  if (kind === 'Sidecar') return spec.workloadSelector ? { matchLabels: spec.workloadSelector.labels ?? {} } : undefined;
  return spec.selector ?? undefined;
}

/**
 * The SPIFFE principal Istio gives a workload: `<trust domain>/ns/<namespace>/sa/<service account>`, in the
 * default trust domain `cluster.local` (MeshConfig.trustDomain, which the platform leaves at its default).
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig (trustDomain)
 */
function principalOf(namespace: string, serviceAccount: string): string {
  return `cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

/**
 * An AuthorizationPolicy string match: exact, prefix (`abc*`), suffix (`*abc`) or presence (`*`).
 * @see https://istio.io/latest/docs/reference/config/security/authorization-policy/#Source
 */
function istioStringMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return value !== '';
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  return pattern === value;
}

/** A number naming one peer of one rule of a policy's direction (rules and peers below 2^20 each). */
function peerKey(direction: 'ingress' | 'egress', rule: number, peer: number): number {
  return (direction === 'ingress' ? 0 : 2 ** 40) + rule * 2 ** 20 + peer;
}

function isolates(np: CheckedObject, direction: 'ingress' | 'egress'): boolean {
  const types: string[] | undefined = np.json.spec?.policyTypes;
  if (types) return types.includes(direction === 'ingress' ? 'Ingress' : 'Egress');
  // Without policyTypes: Ingress always, Egress when the policy has egress rules.
  return direction === 'ingress' || np.json.spec?.egress !== undefined;
}

function isGateway(p: FlowParty): boolean {
  return p.labels?.istio !== undefined && /gateway/.test(String(p.labels.istio));
}

function peerText(p: FlowParty): string {
  if (p.cidrs) return p.cidrs.join(', ');
  if (p.namespace) {
    const labels: Record<string, string> = { ...(p.pods ? p.pods.labels : p.labels ?? {}) };
    // The name and instance labels identify the pods; the rest (version, team, tier) only adds noise.
    const id = Object.fromEntries([LABELS.name, LABELS.instance].filter(k => labels[k] !== undefined).map(k => [k, labels[k]]));
    return `namespace ${p.namespace} pods ${JSON.stringify(Object.keys(id).length > 0 ? id : labels)}`;
  }
  return p.label;
}

/** Istio Sidecar egress host `ns/dnsName` against a flow host `ns/fqdn` (`*` any, `.` the Sidecar's namespace, `~` none). */
function hostMatches(pattern: string, host: string, sidecarNamespace: string): boolean {
  const [pns, pname] = pattern.includes('/') ? pattern.split('/', 2) : ['*', pattern];
  const [hns, hname] = host.split('/', 2);
  if (pns === '~') return false;
  if (pns !== '*' && (pns === '.' ? sidecarNamespace : pns) !== hns) return false;
  if (pname === '*') return true;
  if (pname.startsWith('*.')) return hname.endsWith(pname.slice(1));
  return pname === hname;
}

function ipv4(a: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  return m ? Number(m[1]) * 16777216 + Number(m[2]) * 65536 + Number(m[3]) * 256 + Number(m[4]) : undefined;
}

function range(cidr: string): [number, number] | undefined {
  const [a, bits] = cidr.split('/');
  const base = ipv4(a);
  const n = bits === undefined ? 32 : Number(bits);
  if (base === undefined || !(n >= 0 && n <= 32)) return undefined;
  const size = 2 ** (32 - n);
  const start = Math.floor(base / size) * size;
  return [start, start + size - 1];
}

/** `outer` contains every address of `inner` (IPv4). */
export function cidrContains(outer: string, inner: string): boolean {
  const o = range(outer);
  const i = range(inner);
  return !!o && !!i && o[0] <= i[0] && i[1] <= o[1];
}

function cidrOverlaps(a: string, b: string): boolean {
  const x = range(a);
  const y = range(b);
  return !!x && !!y && x[0] <= y[1] && y[0] <= x[1];
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/** NINES-RT-NET-01: every flow the platform needs passes everything in its path. */
export const TRAFFIC_BLOCKED_RULE: AppRule = {
  id: 'NINES-RT-NET-01',
  severity: 'error',
  description: 'Every flow the platform needs (dependOn, DNS, istiod, probes, scrapes, canary analysis, chaos status checks, replication and quorum peers, the Kubernetes API, Alertmanager, Thanos stores, telemetry exporters and outputs) '
    + 'passes NetworkPolicies at both ends, Sidecar egress and the service registry, PeerAuthentication, AuthorizationPolicies and application allow lists',
  checkApp(model) {
    return trafficOf(model).blocked.map(({ flow, block }): AppFinding => ({
      object: block.object,
      message: `${flow.kind} flow ${flow.from.label} -> ${flow.to.label} port ${flow.port}/${flow.protocol} (${flow.why}) is blocked: ${block.why}`,
      fix: block.fix,
    }));
  },
};

/** NINES-RT-NET-02: a NetworkPolicy ingress peer that no needed flow uses (least privilege). */
export const TRAFFIC_UNUSED_RULE: AppRule = {
  id: 'NINES-RT-NET-02',
  severity: 'warning',
  description: 'Every NetworkPolicy ingress peer admits at least one flow the platform needs (least privilege)',
  checkApp(model) {
    return trafficOf(model).unused.map(({ policy, rule, peer }): AppFinding => {
      const r = policy.json.spec.ingress[rule];
      const ports = (r.ports ?? []).map((p: any) => `${p.port ?? 'any'}/${p.protocol ?? 'TCP'}`).join(', ') || 'every port';
      return {
        object: policy,
        message: `ingress rule ${rule} admits ${JSON.stringify(r.from[peer])} on ${ports}, but no flow the platform needs comes from there`,
        fix: 'remove the peer, or declare the flow that needs it (dependOn, or the construct that calls)',
      };
    });
  },
};

/** The selector a pod party is matched by (for tests). */
export type { LabelSelector };
