/**
 * Chaos Mesh resources (chaos-mesh.org/v1alpha1), typed once and shared: PodChaos,
 * NetworkChaos, IOChaos, Schedule and Workflow. Only the fields this library writes are typed;
 * each is an upstream v1alpha1 field of the same name.
 *
 * @see https://chaos-mesh.org/docs/simulate-pod-chaos-on-kubernetes/
 * @see https://chaos-mesh.org/docs/simulate-network-chaos-on-kubernetes/
 * @see https://chaos-mesh.org/docs/simulate-io-chaos-on-kubernetes/
 * @see https://chaos-mesh.org/docs/define-scheduling-rules/
 * @see https://chaos-mesh.org/docs/create-chaos-mesh-workflow/
 * @see https://chaos-mesh.org/docs/status-check-in-workflow/
 */
import { ApiObject } from 'cdk8s';
import { customResource } from './istio';

/** The API version of every Chaos Mesh object. */
export const CHAOS_MESH_API_VERSION = 'chaos-mesh.org/v1alpha1';

/**
 * How many of the selected pods an experiment hits: `one` (one at random), `all`, `fixed`
 * (`value` pods), `fixed-percent` (`value`% of them, rounded down), `random-max-percent`
 * (a random share up to `value`%).
 */
export type ChaosSelectorMode = 'one' | 'all' | 'fixed' | 'fixed-percent' | 'random-max-percent';

/** `spec.selector`: the pods an experiment may touch. */
export interface ChaosPodSelector {
  readonly namespaces: readonly string[];
  readonly labelSelectors: Readonly<Record<string, string>>;
}

/** Fields every pod-targeting experiment shares. */
export interface ChaosCommonSpec {
  readonly selector: ChaosPodSelector;
  readonly mode: ChaosSelectorMode;
  /** The count or percentage for `fixed`, `fixed-percent`, `random-max-percent` (a string upstream). */
  readonly value?: string;
  /** How long the fault lasts, e.g. `5m`. */
  readonly duration?: string;
}

/** PodChaos `spec`. */
export interface PodChaosSpec extends ChaosCommonSpec {
  readonly action: 'pod-kill' | 'pod-failure' | 'container-kill';
  /** Container names, required for `container-kill`. */
  readonly containerNames?: readonly string[];
  /** Grace period of `pod-kill`, in seconds. */
  readonly gracePeriod?: number;
}

/** NetworkChaos `delay`. */
export interface NetworkDelaySpec {
  readonly latency: string;
  readonly jitter?: string;
  /** Percent, as a string (`"25"`). */
  readonly correlation?: string;
}

/** NetworkChaos `loss`. */
export interface NetworkLossSpec {
  /** Percent, as a string (`"20"`). */
  readonly loss: string;
  readonly correlation?: string;
}

/** NetworkChaos `bandwidth` (tc tbf). */
export interface NetworkBandwidthSpec {
  /** e.g. `1mbps`. */
  readonly rate: string;
  /** Bytes that can be queued. */
  readonly limit: number;
  /** Maximum bytes sent instantaneously. */
  readonly buffer: number;
}

/** NetworkChaos `target`: the other side of `direction`. */
export interface NetworkChaosTarget {
  readonly selector: ChaosPodSelector;
  readonly mode: ChaosSelectorMode;
  readonly value?: string;
}

/** NetworkChaos `spec`. */
export interface NetworkChaosSpec extends ChaosCommonSpec {
  readonly action: 'delay' | 'loss' | 'partition' | 'bandwidth';
  readonly direction?: 'to' | 'from' | 'both';
  readonly target?: NetworkChaosTarget;
  readonly delay?: NetworkDelaySpec;
  readonly loss?: NetworkLossSpec;
  readonly bandwidth?: NetworkBandwidthSpec;
}

/** IOChaos `spec`. */
export interface IOChaosSpec extends ChaosCommonSpec {
  readonly action: 'latency' | 'fault';
  /** The mount point the fault applies to. */
  readonly volumePath: string;
  /** Glob of the affected files (default: every file under volumePath). */
  readonly path?: string;
  /** Latency of `latency`, e.g. `500ms`. */
  readonly delay?: string;
  /** Errno of `fault`, e.g. 5 (EIO). */
  readonly errno?: number;
  /** Share of operations affected, 1-100. */
  readonly percent?: number;
  readonly methods?: readonly string[];
  readonly containerNames?: readonly string[];
}

/** Kinds a Schedule or a Workflow step can create. */
export type ChaosKind = 'PodChaos' | 'NetworkChaos' | 'IOChaos';

/** Schedule `spec`. */
export interface ScheduleSpec {
  /** Cron expression (5 fields). */
  readonly schedule: string;
  readonly concurrencyPolicy: 'Forbid' | 'Allow';
  readonly historyLimit: number;
  readonly startingDeadlineSeconds?: number;
  readonly type: ChaosKind | 'Workflow';
  readonly podChaos?: PodChaosSpec;
  readonly networkChaos?: NetworkChaosSpec;
  readonly ioChaos?: IOChaosSpec;
  readonly workflow?: WorkflowSpec;
}

/** A StatusCheck template's `statusCheck` (HTTP only upstream). */
export interface StatusCheckSpec {
  readonly mode: 'Synchronous' | 'Continuous';
  readonly type: 'HTTP';
  readonly intervalSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
  readonly successThreshold?: number;
  readonly recordsHistoryLimit?: number;
  readonly http: {
    readonly url: string;
    readonly method?: 'GET' | 'POST';
    /** Expected status code or inclusive range, e.g. `"200"` or `"200-299"`. */
    readonly criteria: { readonly statusCode: string };
  };
}

/** One template of a Workflow. */
export interface WorkflowTemplate {
  readonly name: string;
  readonly templateType: 'Serial' | 'Parallel' | 'Suspend' | 'StatusCheck' | ChaosKind;
  /** Upper bound of the node's run time, e.g. `10m`. */
  readonly deadline?: string;
  readonly children?: readonly string[];
  readonly abortWithStatusCheck?: boolean;
  readonly statusCheck?: StatusCheckSpec;
  readonly podChaos?: PodChaosSpec;
  readonly networkChaos?: NetworkChaosSpec;
  readonly ioChaos?: IOChaosSpec;
}

/** Workflow `spec`. */
export interface WorkflowSpec {
  readonly entry: string;
  readonly templates: readonly WorkflowTemplate[];
}

/** chaos-mesh.org/v1alpha1 PodChaos. */
export const PodChaos = customResource<PodChaosSpec>(CHAOS_MESH_API_VERSION, 'PodChaos');
/** An instance of {@link PodChaos}. */
export type PodChaos = ApiObject;

/** chaos-mesh.org/v1alpha1 NetworkChaos. */
export const NetworkChaos = customResource<NetworkChaosSpec>(CHAOS_MESH_API_VERSION, 'NetworkChaos');
/** An instance of {@link NetworkChaos}. */
export type NetworkChaos = ApiObject;

/** chaos-mesh.org/v1alpha1 IOChaos. */
export const IOChaos = customResource<IOChaosSpec>(CHAOS_MESH_API_VERSION, 'IOChaos');
/** An instance of {@link IOChaos}. */
export type IOChaos = ApiObject;

/** chaos-mesh.org/v1alpha1 Schedule. */
export const ChaosSchedule = customResource<ScheduleSpec>(CHAOS_MESH_API_VERSION, 'Schedule');
/** An instance of {@link ChaosSchedule}. */
export type ChaosSchedule = ApiObject;

/** chaos-mesh.org/v1alpha1 Workflow. */
export const ChaosWorkflow = customResource<WorkflowSpec>(CHAOS_MESH_API_VERSION, 'Workflow');
/** An instance of {@link ChaosWorkflow}. */
export type ChaosWorkflow = ApiObject;
