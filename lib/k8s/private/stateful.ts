/*
 * Internal: The one builder of the stateful constructs (EtcdCluster, PatroniCluster, KafkaCluster,
 * RedisSentinel): each group of members (Pods sharing a selector) gets its StatefulSet, headless
 * governing Service, NetworkPolicy, disruption budget and volume claims from {@link StatefulMembers},
 * and the constructs' resolvers share the prop checks below.
 */
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Criticality, isCriticality } from '../../core/criticality';
import { Problem } from '../../core/errors';
import { LABELS, MANAGED_BY, instanceLabelProblems, isDnsLabel, isLabelValue } from '../../core/labels';
import { runbookBaseUrlProblems } from '../../core/platform';
import { ResolvedStorage } from '../../core/storage';
import { NetworkPeer } from '../dependency';
import { PodIdentity, imageProblems } from '../workload-options';
import { PlatformContext, platformContext } from './context';
import { renderNetworkPolicySpec } from './network';

/** A port of a headless Service; `targetPort` defaults to the port's name. */
export interface MemberPort {
  readonly name: string;
  readonly port: number;
  readonly targetPort?: string;
  readonly appProtocol?: string;
}

/** The Pod template and volumes of one StatefulSet of a member group. */
export interface MemberStatefulSetSpec {
  /** The headless governing Service. */
  readonly serviceName: string;
  readonly replicas: number;
  /** @default - the group's selector */
  readonly selector?: Record<string, string>;
  readonly template: { readonly metadata: Record<string, unknown>; readonly spec: Record<string, unknown> };
  readonly volumeClaimTemplates: readonly Record<string, unknown>[];
  /**
   * @default - RollingUpdate, one member at a time, highest ordinal first; the next starts only
   *   once this one is Ready
   */
  readonly updateStrategy?: Record<string, unknown>;
}

/** Who a member group admits and reaches, besides cluster DNS and istiod. */
export interface MemberTraffic {
  readonly ingress: readonly NetworkPeer[];
  readonly egress: readonly NetworkPeer[];
}

/**
 * The Kubernetes objects of one group of stateful members: Pods that share `selector` (etcd's
 * members, Patroni's members, Kafka's controllers or brokers, Redis or its Sentinels). Each
 * method creates one child of `scope` with the id given, so the constructs keep their ids and
 * the order of their objects.
 */
export class StatefulMembers {
  constructor(
    private readonly scope: Construct,
    /** Namespace of the members. */
    public readonly namespace: string,
    /** Labels selecting every Pod of the group. */
    public readonly selector: Record<string, string>,
  ) {}

  /** The group as a network peer on `ports` (TCP). */
  public peer(...ports: number[]): NetworkPeer {
    return { namespace: this.namespace, podLabels: this.selector, ports: ports.map(port => ({ port, protocol: 'TCP' as const })) };
  }

  /**
   * The headless governing Service: stable per-member DNS names (`<pod>.<service>.<namespace>.svc`),
   * published before the members are ready so they can find each other while bootstrapping.
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#stable-network-id
   */
  public headlessService(id: string, metadata: Record<string, unknown>, ports: readonly MemberPort[]): ApiObject {
    return new ApiObject(this.scope, id, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: this.selector,
        ports: ports.map(p => ({
          name: p.name, port: p.port, targetPort: p.targetPort ?? p.name, protocol: 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
        })),
      },
    });
  }

  /** A StatefulSet of the group, with the update and retention policy every stateful construct shares. */
  public statefulSet(id: string, metadata: Record<string, unknown>, spec: MemberStatefulSetSpec): ApiObject {
    return new ApiObject(this.scope, id, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata,
      spec: {
        serviceName: spec.serviceName,
        replicas: spec.replicas,
        // Members find each other through DNS, the DCS or the initial cluster list and retry, so
        // they may start together; an ordered start would only slow recovery.
        podManagementPolicy: 'Parallel',
        updateStrategy: spec.updateStrategy ?? { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        minReadySeconds: 10,
        revisionHistoryLimit: 5,
        // A deleted or scaled-in member's volume stays: its data is the only copy until re-replicated.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: spec.selector ?? this.selector },
        template: spec.template,
        volumeClaimTemplates: spec.volumeClaimTemplates,
      },
    });
  }

  /**
   * A default-deny NetworkPolicy for the group, rendered at synth (callers declared later with
   * `dependOn` are admitted too); the mesh namespace comes from the platform context.
   */
  public networkPolicy(id: string, metadata: Record<string, unknown>, traffic: () => MemberTraffic): ApiObject {
    const meshNamespace = platformContext(this.scope).meshNamespace;
    return new ApiObject(this.scope, id, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata,
      spec: Lazy.any({ produce: () => renderNetworkPolicySpec({ podSelector: this.selector, ...traffic(), meshNamespace }) }),
    });
  }

  /** A PodDisruptionBudget that lets a drain take `maxUnavailable` members at a time. */
  public disruptionBudget(id: string, metadata: Record<string, unknown>, maxUnavailable = 1): ApiObject {
    return new ApiObject(this.scope, id, {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata,
      spec: { maxUnavailable, selector: { matchLabels: this.selector }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });
  }
}

/** A ReadWriteOnce volumeClaimTemplate (data survives Pod rescheduling; never an emptyDir). */
export function volumeClaimTemplate(name: string, storage: ResolvedStorage, labels?: Record<string, string>): Record<string, unknown> {
  return {
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: storage.storageClass,
      resources: { requests: { storage: storage.size } },
    },
  };
}

/** The labels every object of a stateful construct carries besides its selector. */
export function ownerLabels(partOf: string, team: string, tier?: string): Record<string, string> {
  return { [LABELS.partOf]: partOf, [LABELS.managedBy]: MANAGED_BY, [LABELS.team]: team, ...(tier !== undefined ? { [LABELS.tier]: tier } : {}) };
}

/** How a construct explains its zone floor. */
export interface ZoneRule {
  /** What the construct calls itself in "the <noun> is not inside a RegionChart". */
  readonly noun: string;
  /** @default 2 */
  readonly min?: number;
  /** @default 'or one zone outage takes the cluster down' */
  readonly why?: string;
  /** @default 'spread over 2 or more zones (the case study uses 3 per region)' */
  readonly fix?: string;
}

/** Zones must be known, distinct and at least `rule.min`. */
export function zoneProblems(zones: readonly string[], unknown: boolean, rule: ZoneRule): Problem[] {
  const min = rule.min ?? 2;
  if (unknown) {
    return [{
      prop: 'zones',
      value: undefined,
      why: `are unknown: the ${rule.noun} is not inside a RegionChart and no zones were given`,
      fix: 'create it inside a RegionChart (zones come from the platform description) or pass zones',
    }];
  }
  if (zones.length < min || new Set(zones).size !== zones.length) {
    return [{
      prop: 'zones',
      value: zones,
      why: `must list at least ${min} distinct zones${rule.why === undefined ? ', or one zone outage takes the cluster down' : rule.why}`,
      fix: rule.fix ?? 'spread over 2 or more zones (the case study uses 3 per region)',
    }];
  }
  return [];
}

/** The non-root identity of the members. */
export function resolveIdentity(identity: PodIdentity | undefined): Required<PodIdentity> {
  return { user: identity?.user ?? 10001, group: identity?.group ?? 10001, fsGroup: identity?.fsGroup ?? 10001 };
}

/** The owner props every stateful construct takes. */
export interface OwnerProps {
  readonly namespace: string;
  readonly name?: string;
  readonly team?: string;
  readonly tier?: Criticality;
  readonly image?: string;
  readonly runbookBaseUrl?: string;
}

/** How a construct defaults and checks its owner props. */
export interface OwnerRule {
  /** @default - no tier */
  readonly tier?: Criticality;
  /** The image when none is given (Patroni has none: its image is required). */
  readonly image?: string;
  /** More images (exporters), checked after `image`. */
  readonly images?: Readonly<Record<string, string>>;
  /** Longest name the construct's object names leave room for. @default 63 */
  readonly maxName?: number;
  readonly nameWhy: string;
  readonly nameFix: string;
  /** @default 'use letters, digits, "-", "_" or "."' */
  readonly teamFix?: string;
}

/** {@link OwnerProps} resolved: what every stateful construct's resolved props start with. */
export interface OwnerSettings {
  readonly name: string;
  readonly namespace: string;
  readonly team: string;
  /** The tier (a construct without tiers, etcd, leaves it undefined). */
  readonly tier: Criticality;
  readonly image: string;
  /** Base of the alerts' `runbook_url`s; `undefined` when neither the prop nor the platform gives one. */
  readonly runbookBaseUrl?: string;
}

/** Name, namespace, team, tier, image (and more images) and runbook base URL, resolved and checked in that order. */
export function resolveOwner(
  id: string, props: OwnerProps, context: PlatformContext, rule: OwnerRule,
): { owner: OwnerSettings; problems: Problem[] } {
  const problems: Problem[] = [];
  const add = (bad: boolean, prop: string, value: unknown, why: string, fix: string) => { if (bad) problems.push({ prop, value, why, fix }); };
  const name = props.name ?? id;
  const team = props.team ?? props.namespace;
  const tier = props.tier ?? rule.tier;
  const image = props.image ?? rule.image;
  const nameOk = isDnsLabel(name) && name.length <= (rule.maxName ?? 63);
  add(!nameOk, 'name', name, rule.nameWhy, rule.nameFix);
  add(!isDnsLabel(props.namespace), 'namespace', props.namespace, 'is not a DNS label', 'use lower-case letters, digits and "-"');
  // Every member, Service and monitor carries `app.kubernetes.io/instance: <name>-<namespace>`.
  if (nameOk) problems.push(...instanceLabelProblems(name, props.namespace));
  add(!isLabelValue(team), 'team', team, 'is not a valid label value', rule.teamFix ?? 'use letters, digits, "-", "_" or "."');
  add(tier !== undefined && !isCriticality(tier), 'tier', tier, 'is not a criticality tier', 'use Criticality.CRITICAL, HIGH, MEDIUM or LOW');
  for (const [prop, value] of Object.entries({ image, ...rule.images })) problems.push(...imageProblems(prop, value));
  if (props.runbookBaseUrl !== undefined) problems.push(...runbookBaseUrlProblems(props.runbookBaseUrl));
  const runbookBaseUrl = props.runbookBaseUrl ?? context.runbookBaseUrl;
  return { owner: { name, namespace: props.namespace, team, tier: tier as Criticality, image: image as string, runbookBaseUrl }, problems };
}
