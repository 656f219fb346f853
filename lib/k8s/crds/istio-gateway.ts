/**
 * Istio ingress resources: the `Gateway` (a listener on the ingress gateway's pods) and the HTTP
 * route fields a gateway-bound VirtualService needs (`match`, `rewrite`, `redirect`), typed as the
 * subset the library writes. Field names follow the Istio API reference exactly.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/
 * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/
 */
import { ApiObject } from 'cdk8s';
import { IstioHttpRoute, customResource } from './istio';

/** TLS settings of a Gateway server. */
export interface IstioServerTls {
  /** `SIMPLE`: the gateway terminates TLS with the certificate in {@link credentialName}. */
  readonly mode?: 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';
  /** A `kubernetes.io/tls` Secret in the gateway pods' namespace (never a literal key). */
  readonly credentialName?: string;
  /** Plain-HTTP servers only: answer every request with a 301 to HTTPS. */
  readonly httpsRedirect?: boolean;
  readonly minProtocolVersion?: 'TLS_AUTO' | 'TLSV1_0' | 'TLSV1_1' | 'TLSV1_2' | 'TLSV1_3';
}

/** One listener of a Gateway. */
export interface IstioGatewayServer {
  readonly port: { readonly number: number; readonly name: string; readonly protocol: 'HTTP' | 'HTTPS' | 'HTTP2' | 'GRPC' | 'TLS' | 'TCP' };
  readonly hosts: readonly string[];
  readonly tls?: IstioServerTls;
  readonly name?: string;
}

export interface GatewaySpec {
  /** Labels of the gateway pods this configuration applies to. */
  readonly selector: Record<string, string>;
  readonly servers: readonly IstioGatewayServer[];
}

/** A string match of an HTTP request attribute. */
export type IstioStringMatch = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };

/** An HTTP route's request match. */
export interface IstioHttpMatchRequest {
  readonly name?: string;
  readonly uri?: IstioStringMatch;
  readonly method?: IstioStringMatch;
}

/** A VirtualService HTTP route bound to a gateway: the shared route plus match and rewrite. */
export interface IstioGatewayHttpRoute extends IstioHttpRoute {
  readonly match?: readonly IstioHttpMatchRequest[];
  readonly rewrite?: { readonly uri?: string; readonly authority?: string };
}

/** A gateway-bound VirtualService spec (rendered by `IstioVirtualService`). */
export interface GatewayVirtualServiceSpec {
  readonly hosts: readonly string[];
  readonly gateways: readonly string[];
  readonly http: readonly IstioGatewayHttpRoute[];
  readonly exportTo?: readonly string[];
}

/** networking.istio.io/v1beta1 Gateway. */
export const IstioGateway = customResource<GatewaySpec>('networking.istio.io/v1beta1', 'Gateway');
/** An instance of {@link IstioGateway}. */
export type IstioGateway = ApiObject;
