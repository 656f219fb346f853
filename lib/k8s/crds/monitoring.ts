/**
 * prometheus-operator resources (monitoring.coreos.com/v1), typed once and shared.
 *
 * @see https://prometheus-operator.dev/docs/api-reference/api/
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { CustomResourceProps, customResourceProps } from './istio';

export interface ServiceMonitorEndpoint {
  readonly port: string;
  readonly path?: string;
  readonly interval?: string;
  readonly scrapeTimeout?: string;
  readonly scheme?: 'http' | 'https';
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

/** monitoring.coreos.com/v1 ServiceMonitor. */
export class ServiceMonitor extends ApiObject {
  public static readonly GVK = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' };
  constructor(scope: Construct, id: string, props: CustomResourceProps<ServiceMonitorSpec>) {
    super(scope, id, customResourceProps(ServiceMonitor.GVK, props));
  }
}

/** monitoring.coreos.com/v1 PrometheusRule. */
export class PrometheusRule extends ApiObject {
  public static readonly GVK = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule' };
  constructor(scope: Construct, id: string, props: CustomResourceProps<PrometheusRuleSpec>) {
    super(scope, id, customResourceProps(PrometheusRule.GVK, props));
  }
}
