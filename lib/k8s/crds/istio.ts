/**
 * Istio resources, typed once (the subset of fields the library writes) and shared.
 * Field names follow the Istio API reference exactly; they are rendered as given.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/
 */
import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';

/** Connection-pool limits (the bulkhead at the client side). */
export interface IstioConnectionPool {
  readonly tcp?: { readonly maxConnections?: number; readonly connectTimeout?: string };
  readonly http?: {
    readonly http1MaxPendingRequests?: number;
    readonly http2MaxRequests?: number;
    readonly maxRequestsPerConnection?: number;
    readonly maxRetries?: number;
    readonly idleTimeout?: string;
  };
}

/** Outlier detection (the circuit breaker). */
export interface IstioOutlierDetection {
  readonly consecutive5xxErrors?: number;
  readonly consecutiveGatewayErrors?: number;
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}

/** A DestinationRule / Canary traffic policy. */
export interface IstioTrafficPolicy {
  readonly connectionPool?: IstioConnectionPool;
  readonly outlierDetection?: IstioOutlierDetection;
  readonly tls?: { readonly mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL' };
}

export interface DestinationRuleSpec {
  readonly host: string;
  readonly trafficPolicy?: IstioTrafficPolicy;
  readonly exportTo?: readonly string[];
}

export interface IstioHttpRetry {
  readonly attempts: number;
  readonly perTryTimeout?: string;
  readonly retryOn?: string;
}

export interface IstioHttpRoute {
  readonly name?: string;
  readonly route: ReadonlyArray<{
    readonly destination: { readonly host: string; readonly port?: { readonly number: number } };
    readonly weight?: number;
  }>;
  readonly timeout?: string;
  readonly retries?: IstioHttpRetry;
}

export interface VirtualServiceSpec {
  readonly hosts: readonly string[];
  readonly gateways?: readonly string[];
  readonly http: readonly IstioHttpRoute[];
  readonly exportTo?: readonly string[];
}

export interface ServiceEntrySpec {
  readonly hosts: readonly string[];
  readonly location: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  readonly resolution: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  readonly ports: ReadonlyArray<{ readonly number: number; readonly name: string; readonly protocol: string }>;
  readonly exportTo?: readonly string[];
}

export interface SidecarSpec {
  readonly workloadSelector?: { readonly labels: Record<string, string> };
  readonly egress: ReadonlyArray<{ readonly hosts: readonly string[] }>;
  readonly outboundTrafficPolicy?: { readonly mode: 'REGISTRY_ONLY' | 'ALLOW_ANY' };
}

export interface PeerAuthenticationSpec {
  readonly selector?: { readonly matchLabels: Record<string, string> };
  readonly mtls: { readonly mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE' };
}

/**
 * The source address an Istio sidecar (iptables REDIRECT interception, the default) opens every
 * inbound connection to its application from: the application sees this, not the caller's Pod IP.
 * An allow list in the application (pg_hba) must admit it for meshed callers.
 * @see https://github.com/istio/istio/blob/master/pilot/pkg/networking/util/util.go (InboundPassthroughBindIpv4)
 * @see https://github.com/istio/istio/blob/master/pilot/pkg/networking/core/cluster_builder.go (inbound passthrough cluster, UpstreamBindConfig)
 * @see https://istio.io/latest/blog/2021/upcoming-networking-changes/
 */
export const ISTIO_INBOUND_SOURCE_ADDRESS = '127.0.0.6';

/** Props of a typed custom resource: metadata plus spec. */
export interface CustomResourceProps<S> {
  readonly metadata?: ApiObjectMetadata;
  readonly spec: S;
}

/** The ApiObject props of a typed custom resource. */
export function customResourceProps<S>(gvk: { apiVersion: string; kind: string }, props: CustomResourceProps<S>) {
  return { ...gvk, metadata: props.metadata, spec: props.spec };
}

/** networking.istio.io/v1beta1 DestinationRule. */
export class IstioDestinationRule extends ApiObject {
  public static readonly GVK = { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule' };
  constructor(scope: Construct, id: string, props: CustomResourceProps<DestinationRuleSpec>) {
    super(scope, id, customResourceProps(IstioDestinationRule.GVK, props));
  }
}

/** networking.istio.io/v1beta1 VirtualService. */
export class IstioVirtualService extends ApiObject {
  public static readonly GVK = { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService' };
  constructor(scope: Construct, id: string, props: CustomResourceProps<VirtualServiceSpec>) {
    super(scope, id, customResourceProps(IstioVirtualService.GVK, props));
  }
}

/** networking.istio.io/v1beta1 ServiceEntry. */
export class IstioServiceEntry extends ApiObject {
  public static readonly GVK = { apiVersion: 'networking.istio.io/v1beta1', kind: 'ServiceEntry' };
  constructor(scope: Construct, id: string, props: CustomResourceProps<ServiceEntrySpec>) {
    super(scope, id, customResourceProps(IstioServiceEntry.GVK, props));
  }
}

/** networking.istio.io/v1beta1 Sidecar. */
export class IstioSidecar extends ApiObject {
  public static readonly GVK = { apiVersion: 'networking.istio.io/v1beta1', kind: 'Sidecar' };
  constructor(scope: Construct, id: string, props: CustomResourceProps<SidecarSpec>) {
    super(scope, id, customResourceProps(IstioSidecar.GVK, props));
  }
}

/** security.istio.io/v1beta1 PeerAuthentication. */
export class IstioPeerAuthentication extends ApiObject {
  public static readonly GVK = { apiVersion: 'security.istio.io/v1beta1', kind: 'PeerAuthentication' };
  constructor(scope: Construct, id: string, props: CustomResourceProps<PeerAuthenticationSpec>) {
    super(scope, id, customResourceProps(IstioPeerAuthentication.GVK, props));
  }
}
