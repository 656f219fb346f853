/*
 * Internal: The pure props resolver of {@link MonitoringStack}: every default applied once
 * (replicas, retention, images, resources, the Thanos endpoints), every problem collected in prop
 * order, nothing built.
 */
import { cidrListProblems } from '../../core/cidr';
import { Problem, Problems } from '../../core/errors';
import { LABELS, MANAGED_BY, derivedNameProblems, isDnsLabel, isLabelValue } from '../../core/labels';
import { clusterNameOf } from '../../core/naming';
import { parseQuantity } from '../../core/quantity';
import { durationSeconds } from '../../reliability/error-budget';
import { AlertRoutingOptions, alertRoutingProblems } from '../../render/alertmanager';
import type { SecretKeySelector } from '../crds/monitoring-stack';
import type { MonitoringStackProps } from '../monitoring-stack';
import {
  ContainerResources, PodIdentity, ResolvedResources, identityProblems, imageProblems, resolveResources, resourceProblems,
} from '../workload-options';
import { PlatformContext } from './context';
import { Resolution, resolution } from './resolve';
import { resolveIdentity } from './stateful';

const PROMETHEUS_RESOURCES: ContainerResources = {
  cpu: { request: '1', limit: false }, memory: { request: '4Gi', limit: '8Gi' }, ephemeralStorage: { request: '256Mi', limit: '1Gi' },
};
const ALERTMANAGER_RESOURCES: ContainerResources = {
  cpu: { request: '100m', limit: '500m' }, memory: { request: '256Mi', limit: '512Mi' }, ephemeralStorage: { request: '64Mi', limit: '256Mi' },
};
/** Thanos Query's resources, and the Thanos sidecar's. */
export const THANOS_RESOURCES: ContainerResources = {
  cpu: { request: '250m', limit: '1' }, memory: { request: '512Mi', limit: '1Gi' }, ephemeralStorage: { request: '64Mi', limit: '256Mi' },
};
/** @see https://prometheus.io/docs/prometheus/latest/storage/#operational-aspects (`--storage.tsdb.retention.time`, `.size`) */
const RETENTION = /^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$/;
const RETENTION_SIZE = /^(0|([0-9]+(\.[0-9]+)?(B|KB|MB|GB|TB|PB|EB)))$/;

/** {@link MonitoringStackProps} with every default applied. */
export interface ResolvedMonitoringStackProps {
  readonly name: string;
  readonly namespace: string;
  readonly region: string;
  readonly cluster: string;
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly prometheusReplicas: number;
  readonly retention: string;
  readonly retentionSize: string;
  readonly storageSize: string;
  /** The Prometheus volumes' class; undefined for the cluster's default class. */
  readonly storageClassName?: string;
  readonly scrapeInterval: string;
  readonly alertmanagerReplicas: number;
  readonly alertmanagerStorageSize: string;
  readonly queryReplicas: number;
  readonly objectStorageSecret: SecretKeySelector;
  readonly remoteEndpoints: readonly string[];
  readonly remoteCidrs: readonly string[];
  readonly identity: Required<PodIdentity>;
  readonly priorityClassName: string;
  readonly images: { readonly prometheus: string; readonly alertmanager: string; readonly thanos: string };
  readonly resources: { readonly prometheus: ResolvedResources; readonly alertmanager: ResolvedResources; readonly query: ResolvedResources };
  readonly alertRouting: AlertRoutingOptions;
}

/**
 * Resolves `props` of the MonitoringStack at construct path `path` in `context`, or returns every
 * problem (outside a RegionChart, that one alone: nothing else can be resolved).
 */
export function resolveMonitoringStackProps(
  path: string, props: MonitoringStackProps, context: PlatformContext,
): Resolution<ResolvedMonitoringStackProps> {
  const problems = new Problems('MonitoringStack', path);
  const region = context.region;
  if (!region) {
    return { problems: [{ prop: 'scope', value: path, why: 'is not inside a RegionChart, so the zones and namespaces are unknown', fix: 'create the stack inside a RegionChart' }] };
  }
  const p = props.prometheus ?? {};
  const a = props.alertmanager ?? {};
  const t = props.thanos ?? {};
  const s = {
    name: props.name ?? 'nines',
    namespace: props.namespace ?? context.monitoringNamespace,
    region: region.name,
    cluster: props.cluster ?? clusterNameOf(region),
    selectorLabels: props.selectorLabels ?? { [LABELS.managedBy]: MANAGED_BY },
    prometheusReplicas: p.replicas ?? 2,
    retention: p.retention ?? '30d',
    retentionSize: p.retentionSize ?? '90GB',
    storageSize: p.storageSize ?? '100Gi',
    storageClassName: p.storageClassName,
    scrapeInterval: p.scrapeInterval ?? '15s',
    alertmanagerReplicas: a.replicas ?? 3,
    alertmanagerStorageSize: a.storageSize ?? '2Gi',
    queryReplicas: t.queryReplicas ?? 2,
    objectStorageSecret: t.objectStorageSecret ?? { name: 'thanos-objstore', key: 'objstore.yml' },
    remoteEndpoints: t.remoteEndpoints ?? [],
    remoteCidrs: t.remoteCidrs ?? [],
    identity: resolveIdentity(props.identity),
    priorityClassName: props.priorityClassName ?? 'nines-critical',
    images: {
      prometheus: p.image ?? 'quay.io/prometheus/prometheus:v2.53.1',
      alertmanager: a.image ?? 'quay.io/prometheus/alertmanager:v0.27.0',
      thanos: t.image ?? 'quay.io/thanos/thanos:v0.35.1',
    },
    resources: {
      prometheus: resolveResources(p.resources, PROMETHEUS_RESOURCES),
      alertmanager: resolveResources(a.resources, ALERTMANAGER_RESOURCES),
      query: resolveResources(t.queryResources, THANOS_RESOURCES),
    },
    alertRouting: props.alertRouting,
  };

  if (!problems.when(!isDnsLabel(s.name), 'name', s.name, 'is not a DNS label', 'use e.g. "nines"')) {
    // Names prometheus-operator and this stack derive from the name: the operator's StatefulSets
    // `prometheus-<name>` and `alertmanager-<name>` (at most 52 characters, so the
    // controller-revision-hash label of their pods fits 63) and Thanos Query's instance label.
    // @see https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/alertmanager/statefulset.go (prefixedName: "alertmanager-" + name)
    // @see https://github.com/prometheus-operator/prometheus-operator/blob/main/pkg/prometheus/server/statefulset.go (prefixedName: "prometheus-" + name)
    // @see https://github.com/kubernetes/kubernetes/issues/64023 (StatefulSet names over 52 characters)
    problems.addAll(derivedNameProblems('name', s.name, [
      { value: `alertmanager-${s.name}`, what: 'the StatefulSet prometheus-operator creates for Alertmanager', limit: 52 },
      { value: `prometheus-${s.name}`, what: 'the StatefulSet prometheus-operator creates for Prometheus', limit: 52 },
      { value: `thanos-query-${s.name}`, what: 'Thanos Query\'s app.kubernetes.io/instance label', limit: 63 },
    ]));
  }
  problems.when(!isDnsLabel(s.namespace), 'namespace', s.namespace, 'is not a DNS label', 'use e.g. "monitoring"');
  problems.when(!isLabelValue(s.cluster) || s.cluster === '', 'cluster', s.cluster, 'is not a label value', 'use e.g. "prod-us-east-1"');
  problems.when(Object.keys(s.selectorLabels).length === 0, 'selectorLabels', s.selectorLabels,
    'is empty, which would pick up every ServiceMonitor and rule in the cluster', 'give e.g. { "app.kubernetes.io/managed-by": "nines" }');
  problems.addAll(replicasProblem('prometheus.replicas', s.prometheusReplicas, 2, 'one replica is a single point of failure for alerting'));
  problems.addAll(replicasProblem('alertmanager.replicas', s.alertmanagerReplicas, 2, 'a lone Alertmanager loses silences and pages when it restarts'));
  problems.addAll(replicasProblem('thanos.queryReplicas', s.queryReplicas, 2, 'the global view must survive a node drain'));
  problems.addAll(retentionProblems(s.retention, s.retentionSize, s.storageSize));
  problems.addAll(sizeProblem('alertmanager.storageSize', s.alertmanagerStorageSize));
  const interval = durationSeconds(s.scrapeInterval);
  problems.when(interval === undefined || interval < 5, 'prometheus.scrapeInterval', s.scrapeInterval, 'is not a Prometheus duration of at least 5s', 'use e.g. "15s"');
  for (const [prop, image] of [['prometheus', s.images.prometheus], ['alertmanager', s.images.alertmanager], ['thanos', s.images.thanos]]) {
    problems.addAll(imageProblems(`${prop}.image`, image));
  }
  problems.addAll(resourceProblems('prometheus.resources', s.resources.prometheus));
  problems.addAll(resourceProblems('alertmanager.resources', s.resources.alertmanager));
  problems.addAll(resourceProblems('thanos.queryResources', s.resources.query));
  problems.addAll(identityProblems('identity', s.identity));
  problems.addAll(alertRoutingProblems(props.alertRouting ?? ({} as AlertRoutingOptions)), 'alertRouting');
  problems.when(!isDnsLabel(s.objectStorageSecret.name) || !/^[-._a-zA-Z0-9]+$/.test(s.objectStorageSecret.key ?? ''),
    'thanos.objectStorageSecret', s.objectStorageSecret, 'is not a Secret name and key', 'give e.g. { name: "thanos-objstore", key: "objstore.yml" }');
  s.remoteEndpoints.forEach((e, i) => problems.when(!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:\d{1,5}$/.test(e), `thanos.remoteEndpoints[${i}]`, e,
    'is not a host:port gRPC endpoint', 'give e.g. "thanos-query-grpc.monitoring.eu-west-1.example.internal:10901"'));
  problems.addAll(cidrListProblems('thanos.remoteCidrs', s.remoteCidrs, '10.1.0.0/16'));
  return resolution(problems.all, () => s);
}

function replicasProblem(prop: string, value: unknown, min: number, why: string): Problem[] {
  return typeof value === 'number' && Number.isInteger(value) && value >= min ? []
    : [{ prop, value, why: `must be an integer >= ${min} (${why})`, fix: `use ${min} or more` }];
}

function sizeProblem(prop: string, value: string): Problem[] {
  const q = parseQuantity(value);
  return q !== undefined && q > 0 && /^\d+(\.\d+)?(Ki|Mi|Gi|Ti)$/.test(value) ? [] : [{ prop, value, why: 'is not a volume size', fix: 'use e.g. "50Gi"' }];
}

/** Prometheus' retention time and size, and a size cap below the volume (or the volume fills first). */
function retentionProblems(retention: string, retentionSize: string, storageSize: string): Problem[] {
  const problems = new Problems('MonitoringStack', 'prometheus');
  problems.when(!RETENTION.test(retention) || retention === '0', 'prometheus.retention', retention, 'is not a Prometheus retention', 'use e.g. "15d"');
  problems.when(!RETENTION_SIZE.test(retentionSize), 'prometheus.retentionSize', retentionSize, 'is not a Prometheus size', 'use e.g. "45GB"');
  problems.addAll(sizeProblem('prometheus.storageSize', storageSize));
  if (RETENTION_SIZE.test(retentionSize) && parseQuantity(storageSize) !== undefined) {
    const m = /^([0-9.]+)(B|KB|MB|GB|TB|PB|EB)$/.exec(retentionSize);
    const bytes = m ? Number(m[1]) * 1000 ** ['B', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'].indexOf(m[2]) : 0;
    problems.when(bytes >= parseQuantity(storageSize)!, 'prometheus.retentionSize', retentionSize,
      `is not below the volume size (${storageSize}), so the volume fills before retention deletes blocks`, 'keep retentionSize at about 90% of storageSize');
  }
  return [...problems.all];
}
