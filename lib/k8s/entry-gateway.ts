import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { LABELS, MANAGED_BY } from '../core/labels';
import { IstioVirtualService } from './crds/istio';
import { GatewayVirtualServiceSpec, IstioGateway, IstioGatewayHttpRoute, IstioGatewayServer } from './crds/istio-gateway';
import { DependencyFacts, DependencyKind, IDependent, NetworkPeer, ServiceGraph } from './dependency';
import { HEALTH_CHECK_RESPONSE_TIMEOUT, resolveEntryGatewayProps } from './private/entry-gateway-props';
import { defaultHttpRoute } from './private/resilient-service-specs';
import { adopt, resolveConstruct } from './private/resolve';
import { ResilientService } from './resilient-service';

/** Props of {@link EntryGateway}. */
export interface EntryGatewayProps {
  /**
   * The region's entry service (a {@link ResilientService} with `entryPoint: true`, speaking HTTP).
   * @see ResilientServiceProps.entryPoint
   */
  readonly service: ResilientService;
  /**
   * Public host names the gateway answers, e.g. `['api.example.com', 'us-east-1.api.example.com']`.
   * Lowercase DNS names; a leading `*.` label is allowed.
   * @see https://istio.io/latest/docs/reference/config/networking/gateway/#Server
   */
  readonly hosts: readonly string[];
  /**
   * Name of the `kubernetes.io/tls` Secret holding the certificate of {@link hosts}, in
   * {@link ingressNamespace} (where the gateway pods read it). Provisioned outside this library,
   * e.g. by a cert-manager Certificate; never a literal key.
   * @see https://istio.io/latest/docs/tasks/traffic-management/ingress/secure-ingress/
   */
  readonly credentialName: string;
  /**
   * Name of the Gateway and of the public VirtualService (distinct from the service's own VirtualService).
   * @default `${service.name}-public`
   */
  readonly name?: string;
  /**
   * Namespace of the ingress gateway pods (the Gateway and the certificate Secret live there).
   * @default 'istio-ingress' (ClusterAddons' `namespaces.ingress`)
   * @see https://istio.io/latest/docs/setup/additional-setup/gateway/#deploying-a-gateway
   */
  readonly ingressNamespace?: string;
  /**
   * Labels of the ingress gateway pods (the Gateway's `selector`, and the source the entry service's
   * NetworkPolicy admits).
   * @default { istio: 'ingressgateway' } (the labels ClusterAddons gives the istio/gateway chart's pods)
   * @see https://istio.io/latest/docs/reference/config/networking/gateway/
   */
  readonly selector?: Record<string, string>;
  /**
   * Add a plain-HTTP server on port 80 that redirects every request to HTTPS (301). Off by default:
   * the regional NLB and its security group expose 443 only.
   * @default false
   * @see https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings
   */
  readonly httpsRedirect?: boolean;
  /**
   * Path the regional Route53 health check probes. Routed to the entry service's readiness path
   * (rewritten), so the region leaves DNS when its entry service has no ready pod.
   * @default '/healthz/ready' (GlobalFailover's `healthCheck.path`)
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
   */
  readonly healthPath?: string;
  /**
   * Host the health check reaches the gateway by. Route53 probes the regional NLB's own host name
   * (SNI and `Host`), unknown at synth time, so the default answers the health path on every host
   * (and nothing else: other paths on unknown hosts get 404). `false`: no catch-all server.
   * @default '*'
   * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
   */
  readonly healthCheckHost?: string | false;
  /**
   * Lowest TLS version accepted.
   * @default 'TLSV1_2'
   * @see https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings-TLSProtocol
   */
  readonly minProtocolVersion?: 'TLSV1_2' | 'TLSV1_3';
  /**
   * Ingress gateway replicas (for the reliability report only; ClusterAddons deploys them).
   * @default - one per zone of the region (ClusterAddons' `ingressGatewayMinReplicas`)
   */
  readonly replicas?: number;
}

export { HEALTH_CHECK_RESPONSE_TIMEOUT };

/**
 * The region's public entry: an Istio `Gateway` on the ingress gateway pods (HTTPS 443, TLS
 * terminated with a certificate Secret provisioned outside; optionally HTTP 80 redirecting to
 * HTTPS) and a `VirtualService` bound to it that routes the public hosts to the entry
 * {@link ResilientService} with the service's own timeout and retries, plus a dedicated route for
 * the Route53 health path, rewritten to the service's readiness path.
 *
 * It registers itself in the {@link ServiceGraph} as a caller of the entry service, so the
 * service's NetworkPolicy admits the gateway pods and the reliability report starts from it.
 */
export class EntryGateway extends Construct implements IDependent {
  public readonly name!: string;
  public readonly service!: ResilientService;
  public readonly hosts!: readonly string[];
  public readonly credentialName!: string;
  public readonly ingressNamespace!: string;
  public readonly selector!: Readonly<Record<string, string>>;
  public readonly httpsRedirect!: boolean;
  public readonly healthPath!: string;
  /** The entry service's readiness path the health path is rewritten to. */
  public readonly readinessPath!: string;
  public readonly healthCheckHost!: string | false;
  public readonly minProtocolVersion!: 'TLSV1_2' | 'TLSV1_3';
  public readonly replicas!: number;
  public readonly zones!: number;
  /** Timeout of the health route: the readiness probe's timeout, at most {@link HEALTH_CHECK_RESPONSE_TIMEOUT}. */
  public readonly healthTimeout!: Duration;
  /** The public entry of the region: the reliability report starts here. */
  public readonly entryPoint = true;
  /** `namespace/name` of the Gateway, as VirtualServices reference it. */
  public readonly gatewayRef!: string;
  public readonly gateway!: IstioGateway;
  /** Routes of the public hosts: the health route, then everything else to the service. */
  public readonly virtualService!: IstioVirtualService;
  /** The health route on {@link healthCheckHost} (absent when it is false). */
  public readonly healthVirtualService?: IstioVirtualService;

  constructor(scope: Construct, id: string, props: EntryGatewayProps) {
    super(scope, id);
    const resolved = resolveConstruct(this, 'EntryGateway', c => resolveEntryGatewayProps(id, props, c), props);
    if (!resolved.built) return resolved.placeholder;
    const { settings: s } = resolved;
    const svc = s.service;
    this.service = svc;
    adopt(this, s, [
      'name', 'hosts', 'credentialName', 'ingressNamespace', 'selector', 'httpsRedirect', 'healthPath', 'readinessPath', 'healthCheckHost',
      'minProtocolVersion', 'replicas', 'zones', 'healthTimeout', 'gatewayRef',
    ]);

    const labels = {
      [LABELS.name]: this.name,
      [LABELS.instance]: `${this.name}-${svc.namespace}`,
      [LABELS.component]: 'entry-gateway',
      [LABELS.partOf]: svc.namespace,
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.team]: svc.team,
      [LABELS.tier]: svc.tier,
    };
    const tls = { mode: 'SIMPLE' as const, credentialName: this.credentialName, minProtocolVersion: this.minProtocolVersion };
    const servers: IstioGatewayServer[] = [
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: this.hosts, tls },
      ...(this.healthCheckHost === false ? [] : [
        { port: { number: 443, name: 'https-health', protocol: 'HTTPS' as const }, hosts: [this.healthCheckHost], tls },
      ]),
      ...(this.httpsRedirect ? [{ port: { number: 80, name: 'http', protocol: 'HTTP' as const }, hosts: this.hosts, tls: { httpsRedirect: true } }] : []),
    ];
    this.gateway = new IstioGateway(this, 'Gateway', {
      metadata: { name: this.name, namespace: this.ingressNamespace, labels },
      spec: { selector: { ...this.selector }, servers },
    });

    const health: IstioGatewayHttpRoute = {
      name: 'health',
      match: [{ uri: { exact: this.healthPath } }],
      rewrite: { uri: this.readinessPath },
      route: [{ destination: { host: svc.host, port: { number: svc.servicePort } } }],
      timeout: `${this.healthTimeout.toSeconds()}s`,
      // One request per check: Route53's checkers and failure threshold are the retries.
      retries: { attempts: 0 },
    };
    // The public hosts: the health route, then everything else with the service's own timeout and retries.
    const spec: GatewayVirtualServiceSpec = { hosts: this.hosts, gateways: [this.gatewayRef], http: [health, defaultHttpRoute(svc)] };
    this.virtualService = new IstioVirtualService(this, 'VirtualService', {
      metadata: { name: this.name, namespace: svc.namespace, labels },
      spec,
    });
    if (this.healthCheckHost !== false) {
      // The health path only: any other request on an unknown host finds no route (404).
      const healthSpec: GatewayVirtualServiceSpec = { hosts: [this.healthCheckHost], gateways: [this.gatewayRef], http: [health] };
      this.healthVirtualService = new IstioVirtualService(this, 'HealthVirtualService', {
        metadata: { name: `${this.name}-health`, namespace: svc.namespace, labels },
        spec: healthSpec,
      });
    }

    ServiceGraph.of(this).addEdge(this, svc);
  }

  /** Graph identity and availability facts: in-cluster gateway pods, one per zone, stateless. */
  public get dependencyFacts(): DependencyFacts {
    return {
      id: this.gatewayRef,
      kind: DependencyKind.SERVICE,
      tier: this.service.tier,
      replicas: this.replicas,
      zones: Math.min(this.zones, this.replicas),
      automaticFailover: this.replicas >= 2,
    };
  }

  /** The gateway pods, as a caller of the entry service (its NetworkPolicy admits them). */
  public callerPeer(): NetworkPeer {
    return { namespace: this.ingressNamespace, podLabels: { ...this.selector }, ports: [] };
  }

  /** The gateway pods on their listener ports. */
  public egressPeers(): readonly NetworkPeer[] {
    return [{
      namespace: this.ingressNamespace,
      podLabels: { ...this.selector },
      ports: [{ port: 443, protocol: 'TCP' }, ...(this.httpsRedirect ? [{ port: 80, protocol: 'TCP' as const }] : [])],
    }];
  }

  /** None: the gateway is reached from the internet through the NLB, never as an in-mesh host. */
  public meshHosts(): readonly string[] {
    return [];
  }
}
