/**
 * prometheus-operator `Prometheus` and `Alertmanager` (monitoring.coreos.com/v1), typed with the
 * fields the monitoring stack sets. Pod-level fields (security context, topology spread,
 * resources) are the Kubernetes shapes, kept loose (`Record<string, unknown>`) because they come
 * from the shared pod helpers.
 *
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.Prometheus
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.Alertmanager
 */
import { ApiObject } from 'cdk8s';
import { customResource } from './istio';

/** A label selector (`matchLabels` only). */
export interface MatchLabelsSelector {
  readonly matchLabels?: Record<string, string>;
}

/** A key of a Secret in the same namespace. */
export interface SecretKeySelector {
  readonly name: string;
  readonly key: string;
  readonly optional?: boolean;
}

/** `storage` of Prometheus and Alertmanager: a PersistentVolumeClaim template per pod. */
export interface StorageSpec {
  readonly volumeClaimTemplate: {
    readonly metadata?: { readonly name?: string; readonly labels?: Record<string, string> };
    readonly spec: {
      readonly accessModes: readonly string[];
      readonly storageClassName?: string;
      readonly resources: { readonly requests: { readonly storage: string } };
    };
  };
}

/** Pod settings both resources share. */
export interface OperatorPodSpec {
  readonly replicas: number;
  readonly image?: string;
  readonly version?: string;
  readonly podMetadata?: { readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly serviceAccountName?: string;
  readonly priorityClassName?: string;
  readonly securityContext?: Record<string, unknown>;
  /** Strategic-merge overrides of the operator's containers (security contexts). */
  readonly containers?: ReadonlyArray<Record<string, unknown>>;
  /** Strategic-merge overrides of the operator's init containers. */
  readonly initContainers?: ReadonlyArray<Record<string, unknown>>;
  readonly resources?: Record<string, unknown>;
  /** Extra volumes of the pods (mounted through the container overrides). */
  readonly volumes?: ReadonlyArray<Record<string, unknown>>;
  readonly topologySpreadConstraints?: ReadonlyArray<Record<string, unknown>>;
  readonly storage?: StorageSpec;
  readonly minReadySeconds?: number;
  readonly logFormat?: 'logfmt' | 'json';
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  readonly externalUrl?: string;
}

/** The Thanos sidecar of a Prometheus. */
export interface ThanosSidecarSpec {
  readonly image?: string;
  readonly version?: string;
  /** The object-storage configuration (`objstore.yml`) by Secret reference. */
  readonly objectStorageConfig?: SecretKeySelector;
  readonly resources?: Record<string, unknown>;
  readonly logFormat?: 'logfmt' | 'json';
}

/** monitoring.coreos.com/v1 Prometheus spec (the subset the stack sets). */
export interface PrometheusSpec extends OperatorPodSpec {
  readonly retention?: string;
  readonly retentionSize?: string;
  readonly scrapeInterval?: string;
  readonly scrapeTimeout?: string;
  readonly evaluationInterval?: string;
  readonly externalLabels?: Record<string, string>;
  /** The external label holding the replica name; Thanos deduplicates on it. */
  readonly replicaExternalLabelName?: string;
  readonly prometheusExternalLabelName?: string;
  readonly serviceMonitorSelector?: MatchLabelsSelector;
  readonly serviceMonitorNamespaceSelector?: MatchLabelsSelector;
  readonly podMonitorSelector?: MatchLabelsSelector;
  readonly podMonitorNamespaceSelector?: MatchLabelsSelector;
  readonly ruleSelector?: MatchLabelsSelector;
  readonly ruleNamespaceSelector?: MatchLabelsSelector;
  readonly probeSelector?: MatchLabelsSelector;
  readonly probeNamespaceSelector?: MatchLabelsSelector;
  readonly alerting?: {
    readonly alertmanagers: ReadonlyArray<{ readonly namespace: string; readonly name: string; readonly port: string; readonly apiVersion?: string }>;
  };
  readonly thanos?: ThanosSidecarSpec;
  readonly walCompression?: boolean;
}

/** monitoring.coreos.com/v1 Alertmanager spec (the subset the stack sets). */
export interface AlertmanagerSpec extends OperatorPodSpec {
  /** The Secret holding `alertmanager.yaml`. */
  readonly configSecret?: string;
  /** Secrets mounted at `/etc/alertmanager/secrets/<name>/` (receiver credentials). */
  readonly secrets?: readonly string[];
  readonly retention?: string;
  readonly alertmanagerConfigSelector?: MatchLabelsSelector;
  readonly alertmanagerConfigNamespaceSelector?: MatchLabelsSelector;
}

/** monitoring.coreos.com/v1 Prometheus. */
export const Prometheus = customResource<PrometheusSpec>('monitoring.coreos.com/v1', 'Prometheus');
/** An instance of {@link Prometheus}. */
export type Prometheus = ApiObject;

/** monitoring.coreos.com/v1 Alertmanager. */
export const Alertmanager = customResource<AlertmanagerSpec>('monitoring.coreos.com/v1', 'Alertmanager');
/** An instance of {@link Alertmanager}. */
export type Alertmanager = ApiObject;
