/**
 * prometheus-operator resources (monitoring.coreos.com/v1), typed once and shared.
 *
 * @see https://prometheus-operator.dev/docs/api-reference/api/
 */
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { CustomResourceProps, customResource, customResourceProps } from './istio';
import { ISTIO_MTLS_SCRAPE, namespaceMeshed } from '../private/mesh';

export interface ServiceMonitorEndpoint {
  readonly port: string;
  readonly path?: string;
  readonly interval?: string;
  readonly scrapeTimeout?: string;
  readonly scheme?: 'http' | 'https';
  /** TLS of the scrape; files are read from the Prometheus container. */
  readonly tlsConfig?: {
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
    readonly insecureSkipVerify?: boolean;
  };
}

export interface ServiceMonitorSpec {
  readonly selector: { readonly matchLabels: Record<string, string> };
  readonly namespaceSelector?: { readonly matchNames: readonly string[] };
  readonly endpoints: readonly ServiceMonitorEndpoint[];
  readonly jobLabel?: string;
  readonly targetLabels?: readonly string[];
}

export interface PrometheusRuleSpec {
  readonly groups: ReadonlyArray<{
    readonly name: string;
    readonly interval?: string;
    readonly rules: ReadonlyArray<{
      readonly record?: string;
      readonly alert?: string;
      readonly expr: string;
      readonly for?: string;
      readonly labels?: Record<string, string>;
      readonly annotations?: Record<string, string>;
    }>;
  }>;
}

/**
 * monitoring.coreos.com/v1 ServiceMonitor. Endpoints of targets in a namespace the app declares
 * meshed (a {@link Bulkhead} with `mesh`, STRICT mTLS) are scraped over Istio mutual TLS with the
 * certificate of Prometheus's sidecar (see MonitoringStack); a plaintext scrape would be refused
 * by the target's sidecar. Endpoints that set their own `scheme` are left as given.
 * @see https://istio.io/latest/docs/ops/integrations/prometheus/#tls-settings
 */
export class ServiceMonitor extends ApiObject {
  public static readonly GVK = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' };
  constructor(scope: Construct, id: string, props: CustomResourceProps<ServiceMonitorSpec>) {
    const namespaces = props.spec.namespaceSelector?.matchNames ?? (props.metadata?.namespace ? [props.metadata.namespace] : []);
    const endpoints = Lazy.any({
      produce: () => {
        const meshed = namespaces.length > 0 && namespaces.every(ns => namespaceMeshed(this, ns) === true);
        return meshed ? props.spec.endpoints.map(e => (e.scheme ? e : { ...e, ...ISTIO_MTLS_SCRAPE })) : props.spec.endpoints;
      },
    });
    super(scope, id, customResourceProps(ServiceMonitor.GVK, { ...props, spec: { ...props.spec, endpoints } as any }));
  }
}

/** monitoring.coreos.com/v1 PrometheusRule. */
export const PrometheusRule = customResource<PrometheusRuleSpec>('monitoring.coreos.com/v1', 'PrometheusRule');
/** An instance of {@link PrometheusRule}. */
export type PrometheusRule = ApiObject;
