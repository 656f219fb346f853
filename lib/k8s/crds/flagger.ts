/**
 * Flagger resources (flagger.app/v1beta1), typed once: the subset of the Canary and
 * MetricTemplate fields the library writes, named exactly as in Flagger's CRDs.
 *
 * Note: the Canary CRD's `service.trafficPolicy.connectionPool` declares only `http`; a `tcp`
 * block would be pruned by the API server, so it is not typed here.
 *
 * @see https://docs.flagger.app/usage/how-it-works
 * @see https://github.com/fluxcd/flagger/blob/main/artifacts/flagger/crd.yaml
 */
import { ApiObject } from 'cdk8s';
import { IstioConnectionPool, IstioOutlierDetection, customResource } from './istio';

/** A reference to an object by API version, kind and name. */
export interface FlaggerObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
}

/** The Canary's Istio traffic policy: the DestinationRules Flagger generates carry it. */
export interface FlaggerTrafficPolicy {
  /** Flagger's CRD carries the HTTP pool only (no `tcp`). */
  readonly connectionPool?: Pick<IstioConnectionPool, 'http'>;
  readonly outlierDetection?: IstioOutlierDetection;
  readonly tls?: { readonly mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL' };
}

/** Metadata Flagger adds to a Service it generates. */
export interface FlaggerServiceMetadata {
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** The Canary's service: the apex, `-primary` and `-canary` Services and the Istio routing Flagger generates. */
export interface FlaggerCanaryService {
  readonly name?: string;
  readonly port: number;
  readonly portName?: string;
  readonly targetPort?: string | number;
  readonly appProtocol?: string;
  readonly portDiscovery?: boolean;
  readonly timeout?: string;
  readonly retries?: { readonly attempts?: number; readonly perTryTimeout?: string; readonly retryOn?: string };
  readonly hosts?: readonly string[];
  readonly gateways?: readonly string[];
  readonly trafficPolicy?: FlaggerTrafficPolicy;
  readonly apex?: FlaggerServiceMetadata;
  readonly primary?: FlaggerServiceMetadata;
  readonly canary?: FlaggerServiceMetadata;
}

/** A string match: exactly one of the fields. */
export type FlaggerStringMatch = { readonly exact: string } | { readonly prefix: string } | { readonly suffix: string } | { readonly regex: string };

/** An A/B match condition. */
export interface FlaggerMatch {
  readonly headers?: Record<string, FlaggerStringMatch>;
  readonly queryParams?: Record<string, FlaggerStringMatch>;
  readonly sourceLabels?: Record<string, string>;
}

/** A metric check of the analysis. */
export interface FlaggerMetric {
  readonly name: string;
  readonly interval?: string;
  readonly thresholdRange?: { readonly min?: number; readonly max?: number };
  readonly templateRef?: { readonly name: string; readonly namespace?: string };
  readonly templateVariables?: Record<string, string>;
}

/** Flagger's webhook types. */
export type FlaggerWebhookType = 'confirm-rollout' | 'pre-rollout' | 'rollout' | 'confirm-promotion' | 'post-rollout' | 'event' | 'rollback' | 'confirm-traffic-increase';

/** A webhook of the analysis. */
export interface FlaggerWebhook {
  readonly name: string;
  readonly type?: FlaggerWebhookType;
  readonly url: string;
  readonly timeout?: string;
  readonly retries?: number;
  readonly muteAlert?: boolean;
  readonly metadata?: Record<string, string>;
}

/** The canary analysis. */
export interface FlaggerAnalysis {
  readonly interval: string;
  readonly threshold: number;
  readonly maxWeight?: number;
  readonly stepWeight?: number;
  readonly iterations?: number;
  readonly mirror?: boolean;
  readonly match?: readonly FlaggerMatch[];
  readonly metrics?: readonly FlaggerMetric[];
  readonly webhooks?: readonly FlaggerWebhook[];
}

/** flagger.app/v1beta1 Canary spec. */
export interface CanarySpec {
  readonly provider?: 'istio' | 'kubernetes';
  readonly targetRef: FlaggerObjectRef;
  readonly autoscalerRef?: FlaggerObjectRef;
  readonly progressDeadlineSeconds?: number;
  readonly service: FlaggerCanaryService;
  readonly analysis: FlaggerAnalysis;
  readonly skipAnalysis?: boolean;
  readonly revertOnDeletion?: boolean;
}

/** flagger.app/v1beta1 MetricTemplate spec. */
export interface MetricTemplateSpec {
  readonly provider: { readonly type: 'prometheus'; readonly address?: string; readonly insecureSkipVerify?: boolean; readonly secretRef?: { readonly name: string } };
  readonly query: string;
}

/** flagger.app/v1beta1 Canary. */
export const FlaggerCanary = customResource<CanarySpec>('flagger.app/v1beta1', 'Canary');
/** An instance of {@link FlaggerCanary}. */
export type FlaggerCanary = ApiObject;

/** flagger.app/v1beta1 MetricTemplate. */
export const FlaggerMetricTemplate = customResource<MetricTemplateSpec>('flagger.app/v1beta1', 'MetricTemplate');
/** An instance of {@link FlaggerMetricTemplate}. */
export type FlaggerMetricTemplate = ApiObject;
