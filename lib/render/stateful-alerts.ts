/**
 * The alert rules of the stateful constructs (PatroniCluster, KafkaCluster, RedisSentinel),
 * rendered as plain Prometheus rule groups with the shared rule types of `slo-rules.ts`. Each
 * construct puts its group into a PrometheusRule; the system tests run the same rules through
 * promtool.
 *
 * Severities follow the case study's P0-P4 table (section 3.4); every alert links its runbook
 * (`runbook_url`) when a runbook base URL is known.
 *
 * @see the case study, section 3.4 "Alerting Strategy"
 */
import { RedisSentinelSettings } from './redis';
import { PrometheusAlertingRule, PrometheusRuleGroup, Severity } from './slo-rules';
import { runbookAnnotation } from '../core/platform';
import { PromDuration } from '../reliability/error-budget';

/** One alert before the common labels and the runbook link are added. */
interface AlertSpec {
  readonly alert: string;
  readonly expr: string;
  readonly for: PromDuration;
  readonly severity: Severity;
  readonly summary: string;
  readonly description: string;
}

/** A rule group of `alerts`, each labelled `labels(severity)` and linked to `<base>/<prefix>-<alert>`. */
function alertGroup(name: string, alerts: readonly AlertSpec[], labels: (severity: Severity) => Record<string, string>,
  runbookBaseUrl: string | undefined, runbookPrefix: string): PrometheusRuleGroup {
  return {
    name,
    rules: alerts.map((a): PrometheusAlertingRule => ({
      alert: a.alert,
      expr: a.expr,
      for: a.for,
      labels: labels(a.severity),
      annotations: { summary: a.summary, description: a.description, ...runbookAnnotation(runbookBaseUrl, runbookPrefix, a.alert) },
    })),
  };
}

/** Who a stateful construct's alerts are about. */
export interface StatefulAlertTarget {
  /** The construct's name (Patroni scope, Kafka `job`, Redis name prefix). */
  readonly name: string;
  readonly namespace: string;
  /** Base of the `runbook_url`s (`<base>/<namespace>-<name>-<alert>`); none when undefined. */
  readonly runbookBaseUrl?: string;
}

/** Inputs of {@link renderPatroniAlerts}. */
export interface PatroniAlertsInput extends StatefulAlertTarget {
  /** Whether Patroni runs synchronous replication (adds PatroniNoSynchronousStandby). */
  readonly synchronousMode: boolean;
  /** Strict synchronous mode: without a standby, commits stall rather than lose RPO 0. */
  readonly synchronousModeStrict: boolean;
}

/**
 * PatroniCluster: no leader (P0), replication lag over 1 s (P2), no synchronous standby (P1),
 * connections over 80% of max_connections (P3), a volume over 85% full (P3) or full within 4 h (P1).
 * @see https://patroni.readthedocs.io/en/latest/rest_api.html#monitoring-endpoint
 * @see https://github.com/prometheus-community/postgres_exporter
 */
export function renderPatroniAlerts(input: PatroniAlertsInput): PrometheusRuleGroup {
  const ns = input.namespace;
  const name = input.name;
  const patroni = `namespace="${ns}",scope="${name}"`;
  const pods = `namespace="${ns}",pod=~"${name}-[0-9]+"`;
  const pvcs = `namespace="${ns}",persistentvolumeclaim=~"data-${name}-[0-9]+"`;
  const alerts: AlertSpec[] = [
    {
      alert: 'PatroniNoLeader',
      expr: `(sum(patroni_primary{${patroni}}) or sum(patroni_master{${patroni}}) or vector(0)) < 1`,
      // A failover takes 10-15 s; longer without a leader means writes are down.
      for: '30s',
      severity: 'P0',
      summary: `${ns}/${name} has no Patroni leader`,
      description: 'No member has been primary for 30 s: writes fail. Check the DCS (etcd) and `patronictl list`.',
    },
    {
      alert: 'PostgresReplicationLagHigh',
      expr: `max by (pod) (pg_replication_lag_seconds{${pods}}) > 1`,
      for: '30s',
      severity: 'P2',
      summary: `${ns}/${name} replica {{ $labels.pod }} lags more than 1 s`,
      description: 'Replication lag above the case study\'s 1 s threshold: reads from the read-only Service are stale.',
    },
    ...(input.synchronousMode ? [{
      alert: 'PatroniNoSynchronousStandby',
      expr: `(sum(patroni_sync_standby{${patroni}}) or vector(0)) < 1`,
      for: '1m' as const,
      severity: 'P1' as const,
      summary: `${ns}/${name} has no synchronous standby`,
      description: input.synchronousModeStrict
        ? 'Strict synchronous mode: commits wait until a standby is back; writes are stalled.'
        : 'Commits are acknowledged by the primary alone: losing it now loses acknowledged writes (RPO > 0).',
    }] : []),
    {
      alert: 'PostgresConnectionsHigh',
      expr: `sum by (pod) (pg_stat_activity_count{${pods}}) / on (pod) max by (pod) (pg_settings_max_connections{${pods}}) > 0.8`,
      for: '5m',
      severity: 'P3',
      summary: `${ns}/${name} {{ $labels.pod }} uses over 80% of max_connections`,
      description: 'Connections above 80% of max_connections (the case study\'s pool alert): add a pooler or raise the limit.',
    },
    {
      alert: 'PostgresDiskFilling',
      expr: `kubelet_volume_stats_available_bytes{${pvcs}} / kubelet_volume_stats_capacity_bytes{${pvcs}} < 0.15`,
      for: '5m',
      severity: 'P3',
      summary: `${ns}/${name} volume {{ $labels.persistentvolumeclaim }} is over 85% full`,
      description: 'Grow the volume (storage.size) before PostgreSQL stops on a full disk.',
    },
    {
      alert: 'PostgresDiskFullIn4h',
      expr: `predict_linear(kubelet_volume_stats_available_bytes{${pvcs}}[6h], 4 * 3600) < 0`,
      for: '15m',
      severity: 'P1',
      summary: `${ns}/${name} volume {{ $labels.persistentvolumeclaim }} fills within 4 h`,
      description: 'At the last 6 h\'s rate the volume is full within 4 h.',
    },
  ];
  return alertGroup(`${ns}-${name}.patroni`, alerts, severity => ({ severity, namespace: ns, cluster: name }), input.runbookBaseUrl, `${ns}-${name}`);
}

/** Inputs of {@link renderKafkaAlerts}. */
export interface KafkaAlertsInput extends StatefulAlertTarget {
  /** The owning team (label `team`). */
  readonly team: string;
}

/**
 * KafkaCluster: under-replicated partitions (P2), partitions below min.insync.replicas (P1),
 * offline partitions (P1), shrinking ISRs (P3), not exactly one active controller (P1).
 * @see https://kafka.apache.org/documentation/#monitoring
 */
export function renderKafkaAlerts(input: KafkaAlertsInput): PrometheusRuleGroup {
  const sel = `namespace="${input.namespace}",job="${input.name}"`;
  const kafka = `Kafka ${input.name}`;
  const alerts: AlertSpec[] = [
    {
      alert: 'KafkaUnderReplicatedPartitions',
      expr: `sum(kafka_server_replicamanager_underreplicatedpartitions{${sel}}) > 0`,
      for: '10m',
      severity: 'P2',
      summary: `${kafka}: under-replicated partitions`,
      description: 'Some partitions have fewer in-sync replicas than their replication factor for 10 minutes; one more broker failure can stop writes. Check broker health and disk.',
    },
    {
      alert: 'KafkaUnderMinIsrPartitions',
      expr: `sum(kafka_server_replicamanager_underminisrpartitioncount{${sel}}) > 0`,
      for: '1m',
      severity: 'P1',
      summary: `${kafka}: partitions below min.insync.replicas`,
      description: 'Producers with acks=all are failing on these partitions: fewer than min.insync.replicas replicas are in sync.',
    },
    {
      alert: 'KafkaOfflinePartitions',
      expr: `max(kafka_controller_kafkacontroller_offlinepartitionscount{${sel}}) > 0`,
      for: '1m',
      severity: 'P1',
      summary: `${kafka}: offline partitions`,
      description: 'Partitions without a leader: neither reads nor writes work for them. Unclean leader election is off, so bring a replica back rather than forcing one.',
    },
    {
      alert: 'KafkaIsrShrinking',
      expr: `sum(rate(kafka_server_replicamanager_isrshrinks_count{${sel}}[5m])) > 0`,
      for: '15m',
      severity: 'P3',
      summary: `${kafka}: in-sync replica sets keep shrinking`,
      description: 'Followers keep falling out of the ISR for 15 minutes: a slow broker, network between zones or disk.',
    },
    {
      alert: 'KafkaNoActiveController',
      expr: `(sum(kafka_controller_kafkacontroller_activecontrollercount{${sel}}) != 1) or absent(kafka_controller_kafkacontroller_activecontrollercount{${sel}})`,
      for: '2m',
      severity: 'P1',
      summary: `${kafka}: no single active controller`,
      description: 'The KRaft quorum has no (or more than one) active controller: metadata changes, leader elections and topic creation stop.',
    },
  ];
  return alertGroup(`kafka-${input.namespace}-${input.name}`, alerts,
    severity => ({ severity, team: input.team, kafka_cluster: input.name }), input.runbookBaseUrl, `${input.namespace}-${input.name}`);
}

/** Inputs of {@link renderRedisAlerts}. */
export interface RedisAlertsInput extends StatefulAlertTarget, Pick<RedisSentinelSettings,
  'replicas' | 'sentinels' | 'quorum' | 'masterName' | 'downAfterMilliseconds' | 'failoverTimeoutMilliseconds'> {
  /** The Redis headless Service (`service` label of its exporters' series). */
  readonly redisService: string;
  /** The Sentinel headless Service. */
  readonly sentinelService: string;
  /** Severity of losing the master or the quorum: P1 for critical and high tiers, P2 below. */
  readonly pageSeverity: Severity;
  readonly maxmemoryBytes: number;
  readonly maxmemoryPolicy: string;
}

/**
 * RedisSentinel: no reachable master, Sentinels without quorum (both paging), replication broken
 * (P2), memory over 80% of maxmemory (P3).
 * @see https://github.com/oliver006/redis_exporter
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
 */
export function renderRedisAlerts(input: RedisAlertsInput): PrometheusRuleGroup {
  const r = `namespace="${input.namespace}",service="${input.redisService}"`;
  const s = `namespace="${input.namespace}",service="${input.sentinelService}"`;
  const what = `Redis ${input.namespace}/${input.name}`;
  const alerts: AlertSpec[] = [
    {
      alert: 'RedisMasterDown',
      expr: `(count(redis_instance_info{${r},role="master"} and on (pod) redis_up{${r}} == 1) or vector(0)) < 1`,
      for: '30s',
      severity: input.pageSeverity,
      summary: `${what} has no reachable master`,
      description: `No Redis pod of ${input.redisService} reports role master: writes fail. Sentinel should fail over within `
        + `${(input.downAfterMilliseconds + input.failoverTimeoutMilliseconds) / 1000} s; check the Sentinels' logs and quorum.`,
    },
    {
      alert: 'RedisSentinelQuorumLost',
      expr: `(sum(redis_up{${s}}) or vector(0)) < ${input.quorum} or min(redis_sentinel_master_ckquorum_status{${s},master_name="${input.masterName}"}) == 0`,
      for: '1m',
      severity: input.pageSeverity,
      summary: `${what}: the Sentinels cannot reach their quorum of ${input.quorum}`,
      description: `Fewer than ${input.quorum} of ${input.sentinels} Sentinels of ${input.sentinelService} are up or agree: a master failure would not fail over.`,
    },
    {
      alert: 'RedisReplicationBroken',
      expr: `min(redis_master_link_up{${r}}) == 0 or (sum(redis_connected_slaves{${r}}) or vector(0)) < ${input.replicas}`,
      for: '2m',
      severity: 'P2',
      summary: `${what}: replication is broken`,
      description: `A replica of ${input.redisService} lost its link to the master, or the master has fewer than ${input.replicas} replicas connected: `
        + 'a failover may lose writes or find no replica to promote.',
    },
    {
      alert: 'RedisMemoryHigh',
      expr: `max by (pod) (redis_memory_used_bytes{${r}} / (redis_memory_max_bytes{${r}} > 0)) > 0.8`,
      for: '5m',
      severity: 'P3',
      summary: `${what} uses over 80% of maxmemory`,
      description: `{{ $labels.pod }} uses {{ $value | humanizePercentage }} of maxmemory (${input.maxmemoryBytes} bytes, policy ${input.maxmemoryPolicy}): `
        + 'keys are being or will soon be evicted; raise the memory limit.',
    },
  ];
  return alertGroup(`${input.namespace}-${input.name}-redis-sentinel`, alerts, severity => ({ severity }), input.runbookBaseUrl, `${input.namespace}-${input.name}`);
}
