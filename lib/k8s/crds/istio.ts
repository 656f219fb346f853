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

/** A typed custom resource class: `new X(scope, id, { metadata, spec })`, with its `GVK`. */
export interface CustomResourceClass<S> {
  readonly GVK: { readonly apiVersion: string; readonly kind: string };
  new (scope: Construct, id: string, props: CustomResourceProps<S>): ApiObject;
}

/**
 * The class of a custom resource whose spec is typed `S`: one definition for every CRD shape
 * the library writes (Istio, Flagger, Chaos Mesh, prometheus-operator).
 */
export function customResource<S>(apiVersion: string, kind: string): CustomResourceClass<S> {
  const gvk = { apiVersion, kind };
  return class extends ApiObject {
    public static readonly GVK = gvk;
    constructor(scope: Construct, id: string, props: CustomResourceProps<S>) {
      super(scope, id, customResourceProps(gvk, props));
    }
  };
}

/** networking.istio.io/v1beta1 DestinationRule. */
export const IstioDestinationRule = customResource<DestinationRuleSpec>('networking.istio.io/v1beta1', 'DestinationRule');
/** An instance of {@link IstioDestinationRule}. */
export type IstioDestinationRule = ApiObject;

/** networking.istio.io/v1beta1 VirtualService. */
export const IstioVirtualService = customResource<VirtualServiceSpec>('networking.istio.io/v1beta1', 'VirtualService');
/** An instance of {@link IstioVirtualService}. */
export type IstioVirtualService = ApiObject;

/** networking.istio.io/v1beta1 ServiceEntry. */
export const IstioServiceEntry = customResource<ServiceEntrySpec>('networking.istio.io/v1beta1', 'ServiceEntry');
/** An instance of {@link IstioServiceEntry}. */
export type IstioServiceEntry = ApiObject;

/** networking.istio.io/v1beta1 Sidecar. */
export const IstioSidecar = customResource<SidecarSpec>('networking.istio.io/v1beta1', 'Sidecar');
/** An instance of {@link IstioSidecar}. */
export type IstioSidecar = ApiObject;

/** security.istio.io/v1beta1 PeerAuthentication. */
export const IstioPeerAuthentication = customResource<PeerAuthenticationSpec>('security.istio.io/v1beta1', 'PeerAuthentication');
/** An instance of {@link IstioPeerAuthentication}. */
export type IstioPeerAuthentication = ApiObject;
