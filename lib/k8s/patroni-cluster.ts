import { createHash } from 'crypto';
import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { DependencyFacts, DependencyKind, IDependent, NetworkPeer, ServiceGraph } from './dependency';
import { EtcdCluster } from './etcd-cluster';
import { RegionChart } from './region-chart';
import { ResilientService, ServiceProtocol } from './resilient-service';
import {
  ContainerResources, PodIdentity, ResolvedResources, ResourcePresets, identityProblems, imageProblems, renderResources, resolveResources,
  resourceProblems,
} from './workload-options';
import { Checks } from '../checks/checks';
import { declareRuntimeLabels } from '../checks/runtime/facts';
import { Criticality, isCriticality, tierDefaults } from '../core/criticality';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel, isLabelValue } from '../core/labels';
import { runbookAnnotation, runbookBaseUrlProblems } from '../core/platform';
import {
  PatroniDcs, PatroniFailoverOptions, PatroniMemberOptions, PostgresParameterOptions, PostgresUserNames, ResolvedPatroniMemberOptions,
  renderPatroniConfig, renderRoleLabelCallback, renderSwitchoverPreStop, resolvePatroniMemberOptions, validatePatroniInput,
} from '../render/patroni';
import { PGBOUNCER_DEFAULTS, PgBouncerPoolMode, renderPgBouncerIni, validatePgBouncerInput } from '../render/pgbouncer';
import { ISTIO_INBOUND_SOURCE_ADDRESS } from './crds/istio';
import { PrometheusRule, ServiceMonitor } from './crds/monitoring';
import { renderNetworkPolicySpec } from './private/network';
import { containerSecurityContext, podSecurityContext, preStopSleep, zoneSpread } from './private/pod';
import {
  DEFAULT_STORAGE_CLASS, StorageOptions, headlessServiceSpec, statefulSetSkeleton, storageProblems, volumeClaimTemplate, zoneProblems,
} from './private/stateful';

/**
 * Where the PostgreSQL passwords are: keys of one Secret in the cluster's namespace. Only the
 * reference is rendered; Patroni reads the values from `PATRONI_*_PASSWORD` environment variables.
 */
export interface PostgresCredentials {
  /** Name of the Secret (created outside this library, e.g. by External Secrets from AWS Secrets Manager). */
  readonly secretName: string;
  /**
   * Key of the superuser's password.
   * @default 'superuser-password'
   */
  readonly superuserKey?: string;
  /**
   * Key of the replication role's password.
   * @default 'replication-password'
   */
  readonly replicationKey?: string;
  /**
   * Key of the pg_rewind role's password.
   * @default 'rewind-password'
   */
  readonly rewindKey?: string;
  /**
   * Key of the password protecting Patroni's unsafe REST API endpoints (POST /switchover,
   * /restart, ...; user `patroni`). The probes and `/metrics` stay open; the preStop authenticates.
   * @default 'restapi-password'
   */
  readonly restApiKey?: string;
}

/** Continuous WAL archiving and base backups to S3 with WAL-G. */
export interface PatroniBackupOptions {
  /** S3 bucket (from the AWS side). */
  readonly bucket: string;
  /** IAM role the members and the backup job assume through IRSA (from the AWS side), `arn:aws:iam::<account>:role/<name>`. */
  readonly roleArn: string;
  /**
   * Key prefix inside the bucket.
   * @default - '<namespace>/<name>'
   */
  readonly prefix?: string;
  /**
   * AWS region of the bucket.
   * @default - the enclosing RegionChart's region
   */
  readonly region?: string;
  /**
   * Cron schedule of the base backups (UTC).
   * @default '0 3 * * *'
   */
  readonly schedule?: string;
  /**
   * Full base backups kept (with the WAL needed to restore them); older ones are deleted after each backup.
   * @default 7
   */
  readonly retainFullBackups?: number;
  /**
   * Image with `kubectl` and a POSIX shell for the backup CronJob.
   * @default 'docker.io/bitnami/kubectl:1.28.4'
   */
  readonly kubectlImage?: string;
  /**
   * Networks S3 and STS are reached at on 443 (narrow them to the region's S3 prefix list).
   * @default ['0.0.0.0/0'] except the private ranges 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16
   */
  readonly egressCidrs?: readonly string[];
}

/** How Patroni's pods reach the Kubernetes API (role labels, and the leader lock with the `kubernetes` DCS). */
export interface KubernetesApiAccess {
  /** Addresses of the API server endpoints (on EKS: the control plane's ENIs in the VPC). */
  readonly cidrs: readonly string[];
  /**
   * Port of the API server endpoints.
   * @default 443
   */
  readonly port?: number;
}

/** How PgBouncer authenticates clients: a file from a Secret, never a literal password. */
export interface PgBouncerAuth {
  /**
   * Secret holding the auth file (`"user" "SCRAM-SHA-256$..."` lines, e.g. from `pg_authid`; with
   * SCRAM secrets PgBouncer logs in to PostgreSQL with the client's own keys).
   * @default - '<cluster name>-pooler-auth'
   */
  readonly secretName?: string;
  /**
   * Key of the auth file in the Secret.
   * @default 'userlist.txt'
   */
  readonly key?: string;
  /**
   * A user in the auth file that looks the other users up with `authQuery` (auth_user).
   * @default - none: only the users in the auth file can log in
   */
  readonly authUser?: string;
  /**
   * The lookup query (only with `authUser`).
   * @default 'SELECT usename, passwd FROM pg_shadow WHERE usename=$1'
   */
  readonly authQuery?: string;
}

/** A PgBouncer pooler in front of the read-write Service (a TCP {@link ResilientService}). */
export interface PgBouncerOptions {
  /**
   * Image with `pgbouncer` on the PATH, run as `pgbouncer /etc/pgbouncer/pgbouncer.ini`. Pinned.
   * @default 'ghcr.io/cloudnative-pg/pgbouncer:1.22.1-16'
   */
  readonly image?: string;
  /**
   * Criticality tier of the pooler (replicas, PDB, priority class).
   * @default Criticality.HIGH
   */
  readonly tier?: Criticality;
  /**
   * Fixed replicas (no autoscaling: every replica holds its own server pool, so the replica
   * count multiplies the connections PostgreSQL sees).
   * @default - the tier's replicas, at least one per zone for critical and high
   */
  readonly replicas?: number;
  /**
   * Pooling mode.
   * @default 'transaction'
   */
  readonly poolMode?: PgBouncerPoolMode;
  /**
   * Client connections per replica (max_client_conn).
   * @default 1000
   */
  readonly maxClientConn?: number;
  /**
   * Server connections per user/database pair per replica (default_pool_size);
   * replicas x (defaultPoolSize + reservePoolSize) must stay within 80% of max_connections (the case study's pool alert).
   * @default 20
   */
  readonly defaultPoolSize?: number;
  /**
   * Extra server connections per replica for clients that waited 5 s (reserve_pool_size).
   * @default 0
   */
  readonly reservePoolSize?: number;
  /**
   * Listening port (the Service port too).
   * @default 6432
   */
  readonly port?: number;
  /** Client authentication. @default - auth file key 'userlist.txt' of Secret '<name>-pooler-auth' */
  readonly auth?: PgBouncerAuth;
  /**
   * Resources of the pgbouncer container.
   * @default ResourcePresets.SMALL (cpu 250m/500m, memory 256Mi/512Mi, ephemeral 128Mi/512Mi)
   */
  readonly resources?: ContainerResources;
}

/** {@link PgBouncerOptions} with every default applied. */
export interface ResolvedPgBouncerOptions {
  readonly name: string;
  readonly image: string;
  readonly tier: Criticality;
  readonly replicas: number;
  readonly poolMode: PgBouncerPoolMode;
  readonly maxClientConn: number;
  readonly defaultPoolSize: number;
  readonly reservePoolSize: number;
  readonly port: number;
  readonly auth: { readonly secretName: string; readonly key: string; readonly authUser?: string; readonly authQuery?: string };
  readonly resources: ResolvedResources;
  /** Path of the auth file in the container. */
  readonly authFile: string;
}

/** Props of a {@link PatroniCluster}. */
export interface PatroniClusterProps {
  /** Namespace (the owning domain's bulkhead). */
  readonly namespace: string;
  /**
   * Cluster name: the StatefulSet, the read-write Service (`<name>`), Patroni's scope.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * Image with Patroni 3.0/3.1, PostgreSQL 15 (binaries in /usr/lib/postgresql/15/bin), WAL-G and
   * Python 3, with a passwd entry for {@link identity}'s uid (initdb refuses an unknown uid). Pinned.
   */
  readonly image: string;
  /**
   * postgres_exporter image.
   * @default 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0'
   */
  readonly exporterImage?: string;
  /**
   * Members (PostgreSQL + Patroni Pods): >= 3 with synchronous replication.
   * @default 3
   */
  readonly members?: number;
  /**
   * Zones to spread over.
   * @default - the zones of the enclosing RegionChart's region
   */
  readonly zones?: readonly string[];
  /**
   * Criticality tier (priority class).
   * @default Criticality.CRITICAL
   */
  readonly tier?: Criticality;
  /**
   * Owning team (label `nines.dev/team`).
   * @default - the namespace
   */
  readonly team?: string;
  /**
   * The DCS holding the leader lock: `'etcd'` runs an {@link EtcdCluster} of 3 members for this
   * cluster (the case study's setup), an `EtcdCluster` shares one, `'kubernetes'` uses the
   * Kubernetes API (ConfigMaps; no etcd to run, more RBAC).
   * @default 'etcd'
   */
  readonly dcs?: 'etcd' | 'kubernetes' | EtcdCluster;
  /**
   * Each member's data volume.
   * @default { size: '50Gi', storageClass: 'gp3-encrypted' }
   */
  readonly storage?: StorageOptions;
  /**
   * Resources of the PostgreSQL container.
   * @default ResourcePresets.LARGE (cpu 1/2, memory 1Gi/2Gi, ephemeral 512Mi/2Gi)
   */
  readonly resources?: ContainerResources;
  /** Non-root identity. @default - uid/gid/fsGroup 10001 */
  readonly identity?: PodIdentity;
  /**
   * Leader election and replication mode (ttl 10, loop_wait 2, retry_timeout 3, strict synchronous
   * mode, members - 1 synchronous standbys): a measured median failover of 11.7 s.
   * @default - the renderer's defaults
   * @see PatroniFailoverOptions
   */
  readonly failover?: PatroniFailoverOptions;
  /**
   * PostgreSQL parameters.
   * @default - the renderer's defaults (max_connections 100, shared_buffers 256MB, ...)
   * @see PostgresParameterOptions
   */
  readonly postgresParameters?: PostgresParameterOptions;
  /**
   * Role names.
   * @default - postgres, replicator, rewind_user
   */
  readonly userNames?: PostgresUserNames;
  /** The passwords, by Secret reference only. */
  readonly credentials: PostgresCredentials;
  /**
   * Networks the members' and clients' Pods have addresses in (pg_hba; the NetworkPolicy narrows further).
   * @default - the region's vpcCidr (EKS Pods take VPC addresses)
   */
  readonly podCidrs?: readonly string[];
  /**
   * The Kubernetes API endpoints.
   * @default - the region's vpcCidr on 443
   */
  readonly kubernetesApi?: KubernetesApiAccess;
  /** WAL archiving and base backups to S3, or `false` to run without (not for production). */
  readonly backup: PatroniBackupOptions | false;
  /**
   * A PgBouncer pooler (`<name>-pooler`, a TCP {@link ResilientService} on 6432) in front of the
   * read-write Service; `true` for the defaults. Callers then depend on the pooler
   * (`svc.dependOn(cluster.pooler!)`) and connect to `cluster.pooler!.host`.
   * @default false
   */
  readonly pooler?: PgBouncerOptions | boolean;
  /**
   * Where the alerts' runbooks are published (`writeRunbooks` writes them): each alert links
   * `${runbookBaseUrl}/<namespace>-<name>-<alert>`, e.g. `…/orders-orders-db-patroni-no-leader`.
   * An absolute https URL.
   * @default - the platform description's `runbookBaseUrl`; with neither, the alerts carry no
   *   `runbook_url` and `writeRunbooks` reports them
   * @see the case study, section 3.4 ("Actionable runbook")
   */
  readonly runbookBaseUrl?: string;
}

const PG_PORT = 5432;
const API_PORT = 8008;
const METRICS_PORT = 9187;
const CONFIG_DIR = '/etc/patroni';
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const ROLE_LABEL = 'role';
const SWITCHOVER_WAIT_SECONDS = 30;
const POOLER_SAFE_STOP = 'kill -INT 1; while kill -0 1 2>/dev/null; do sleep 1; done';
const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9A-Fa-f:]+\/\d{1,3}$/;

/**
 * PostgreSQL made highly available with Patroni, the case study's fix for its first single
 * point of failure (3 members, synchronous replication, RPO 0, automatic failover in 10-15 s).
 *
 * A StatefulSet of members spread over the region's zones (hardened pod spec, probes on
 * Patroni's `/liveness` and `/readiness`, a preStop that hands leadership over), an etcd DCS (or
 * the Kubernetes API), a headless governing Service, a read-write Service routed to the leader and
 * a read-only Service to the replicas by Patroni's role label, per-member volumes, patroni.yml from
 * {@link renderPatroniConfig} in a ConfigMap, a drainable PodDisruptionBudget, postgres_exporter
 * with a ServiceMonitor and alert rules, WAL-G archiving and a base-backup CronJob, and a
 * default-deny NetworkPolicy admitting exactly the services that `dependOn` it.
 *
 * ```ts
 * const db = new PatroniCluster(chart, 'orders-db', {
 *   namespace: 'orders',
 *   image: 'registry.example.com/platform/patroni:3.0.4-pg15',
 *   credentials: { secretName: 'orders-db-credentials' },
 *   backup: { bucket: 'nines-backups-us-east-1', roleArn: 'arn:aws:iam::123456789012:role/orders-db-backup' },
 * });
 * orderService.dependOn(db); // egress to PostgreSQL (5432) only, admitted by the cluster's NetworkPolicy
 * ```
 */
export class PatroniCluster extends Construct implements IDependent {
  public readonly name: string;
  public readonly namespace: string;
  public readonly team: string;
  public readonly tier: Criticality;
  public readonly image: string;
  public readonly exporterImage: string;
  public readonly members: number;
  public readonly zones: readonly string[];
  public readonly storageSize: string;
  public readonly storageClass: string;
  public readonly resources: ResolvedResources;
  public readonly exporterResources: ResolvedResources;
  public readonly identity: Required<PodIdentity>;
  /** Base of the alerts' `runbook_url`s; `undefined` when neither the prop nor the platform gives one. */
  public readonly runbookBaseUrl?: string;
  /** Which DCS holds the leader lock. */
  public readonly dcsKind: 'etcd3' | 'kubernetes';
  /** The etcd cluster, when the DCS is etcd. */
  public readonly etcd?: EtcdCluster;
  public readonly podCidrs: readonly string[];
  public readonly kubernetesApi: Required<KubernetesApiAccess>;
  public readonly credentials: Required<PostgresCredentials>;
  /** The backup settings with every default applied, when backups are on. */
  public readonly backup?: Required<PatroniBackupOptions>;
  /** Every renderer input with its default applied (failover timings, parameters, role names). */
  public readonly patroni: ResolvedPatroniMemberOptions;
  /** Seconds the preStop waits for the leadership to move. */
  public readonly switchoverWaitSeconds: number;
  /** terminationGracePeriodSeconds: the switchover wait plus PostgreSQL's shutdown. */
  public readonly gracePeriodSeconds: number;
  public readonly selectorLabels: Record<string, string>;
  public readonly labels: Record<string, string>;
  /**
   * The members' ServiceAccount (`<name>` in the namespace): the one the AWS backup role must
   * trust for IRSA (`system:serviceaccount:<namespace>:<name>`), since WAL-G runs in the members.
   */
  public readonly serviceAccountName: string;
  /** Headless governing Service name. */
  public readonly headlessServiceName: string;
  /** Read-write (leader) Service name: the cluster name. */
  public readonly readWriteServiceName: string;
  /** Read-only (replicas) Service name. */
  public readonly readOnlyServiceName: string;
  /** Host applications connect to for writes, e.g. `orders-db.orders.svc.cluster.local`. */
  public readonly host: string;
  /** Host for reads that tolerate replication lag (0 on synchronous standbys for committed data). */
  public readonly readOnlyHost: string;

  public readonly statefulSet: ApiObject;
  public readonly configMap: ApiObject;
  public readonly serviceAccount: ApiObject;
  public readonly role: ApiObject;
  public readonly roleBinding: ApiObject;
  public readonly headlessService: ApiObject;
  public readonly readWriteService: ApiObject;
  public readonly readOnlyService: ApiObject;
  public readonly podDisruptionBudget: ApiObject;
  public readonly networkPolicy: ApiObject;
  public readonly serviceMonitor: ApiObject;
  public readonly prometheusRule: ApiObject;
  public readonly backupCronJob?: ApiObject;
  /** The pooler settings with every default applied, when the pooler is on. */
  public readonly poolerOptions?: ResolvedPgBouncerOptions;
  /** The PgBouncer pooler (depends on this cluster); callers `dependOn` it. */
  public readonly pooler?: ResilientService;
  /** pgbouncer.ini from {@link renderPgBouncerIni}. */
  public readonly poolerConfigMap?: ApiObject;

  private readonly meshNamespace: string;
  private readonly monitoringNamespace: string;

  constructor(scope: Construct, id: string, props: PatroniClusterProps) {
    super(scope, id);
    const region = RegionChart.find(this)?.region;
    const platform = region?.platform;
    const problems = new Problems('PatroniCluster', this.node.path);

    this.name = props.name ?? id;
    this.namespace = props.namespace;
    this.team = props.team ?? props.namespace;
    this.tier = props.tier ?? Criticality.CRITICAL;
    this.image = props.image;
    this.exporterImage = props.exporterImage ?? 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0';
    this.members = props.members ?? 3;
    this.zones = props.zones ?? region?.zones ?? [];
    this.storageSize = props.storage?.size ?? '50Gi';
    this.storageClass = props.storage?.storageClass ?? DEFAULT_STORAGE_CLASS;
    this.resources = resolveResources(props.resources, ResourcePresets.LARGE);
    this.exporterResources = resolveResources({
      cpu: { request: '50m', limit: '250m' }, memory: { request: '64Mi', limit: '128Mi' }, ephemeralStorage: { request: '32Mi', limit: '128Mi' },
    });
    this.identity = { user: props.identity?.user ?? 10001, group: props.identity?.group ?? 10001, fsGroup: props.identity?.fsGroup ?? 10001 };
    this.meshNamespace = platform?.meshNamespace ?? 'istio-system';
    this.monitoringNamespace = platform?.monitoringNamespace ?? 'monitoring';
    const clusterDomain = platform?.clusterDomain ?? 'cluster.local';
    this.headlessServiceName = `${this.name}-members`;
    this.serviceAccountName = this.name;
    this.readWriteServiceName = this.name;
    this.readOnlyServiceName = `${this.name}-ro`;
    this.host = `${this.readWriteServiceName}.${this.namespace}.svc.${clusterDomain}`;
    this.readOnlyHost = `${this.readOnlyServiceName}.${this.namespace}.svc.${clusterDomain}`;
    this.podCidrs = props.podCidrs ?? (region?.vpcCidr ? [region.vpcCidr] : []);
    this.kubernetesApi = {
      cidrs: props.kubernetesApi?.cidrs ?? (region?.vpcCidr ? [region.vpcCidr] : []),
      port: props.kubernetesApi?.port ?? 443,
    };
    this.credentials = {
      secretName: props.credentials?.secretName,
      superuserKey: props.credentials?.superuserKey ?? 'superuser-password',
      replicationKey: props.credentials?.replicationKey ?? 'replication-password',
      rewindKey: props.credentials?.rewindKey ?? 'rewind-password',
      restApiKey: props.credentials?.restApiKey ?? 'restapi-password',
    };
    this.switchoverWaitSeconds = SWITCHOVER_WAIT_SECONDS;
    this.gracePeriodSeconds = 90;
    const dcs = props.dcs ?? 'etcd';
    this.dcsKind = dcs === 'kubernetes' ? 'kubernetes' : 'etcd3';

    // ---- validation ----
    problems.when(!isDnsLabel(this.name) || this.name.length > 40, 'name', this.name,
      'is not a DNS label of at most 40 characters (Pod, Service and Patroni scope names derive from it)', 'use lower-case letters, digits and "-"');
    problems.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a DNS label', 'use lower-case letters, digits and "-"');
    problems.when(!isLabelValue(this.team), 'team', this.team, 'is not a valid label value', 'use letters, digits, "-", "_" or "."');
    problems.when(!isCriticality(this.tier), 'tier', this.tier, 'is not a criticality tier', 'use Criticality.CRITICAL, HIGH, MEDIUM or LOW');
    problems.addAll(imageProblems('image', this.image));
    problems.addAll(imageProblems('exporterImage', this.exporterImage));
    this.runbookBaseUrl = props.runbookBaseUrl ?? platform?.runbookBaseUrl;
    if (props.runbookBaseUrl !== undefined) problems.addAll(runbookBaseUrlProblems(props.runbookBaseUrl));
    problems.when(!Number.isInteger(this.members) || this.members < 2 || this.members > 9, 'members', this.members,
      'must be an integer between 2 and 9', 'run 3 members');
    zoneProblems(problems, this.zones, props.zones === undefined && region === undefined);
    problems.addAll(storageProblems('storage', this.storageSize, this.storageClass, 2 ** 30));
    problems.addAll(resourceProblems('resources', this.resources));
    problems.addAll(identityProblems('identity', this.identity));
    problems.when(!isDnsLabel(this.credentials.secretName) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(String(this.credentials.secretName)),
      'credentials.secretName', this.credentials.secretName, 'is not a Secret name', 'give the name of a Secret in the namespace');
    for (const key of ['superuserKey', 'replicationKey', 'rewindKey', 'restApiKey'] as const) {
      problems.when(!/^[-._a-zA-Z0-9]+$/.test(this.credentials[key]), `credentials.${key}`, this.credentials[key], 'is not a Secret key',
        'use letters, digits, "-", "_" and "."');
    }
    const keys = [this.credentials.superuserKey, this.credentials.replicationKey, this.credentials.rewindKey, this.credentials.restApiKey];
    problems.when(new Set(keys).size !== keys.length, 'credentials', keys, 'uses one key for two roles, so the replication role would hold the superuser\'s password',
      'give every role its own key');
    if (props.podCidrs === undefined && this.podCidrs.length === 0) {
      problems.add('podCidrs', undefined, 'are unknown: the region has no vpcCidr', 'give the Pod CIDRs or a vpcCidr in the platform description');
    }
    this.podCidrs.forEach((c, i) => problems.when(!CIDR.test(c), `podCidrs[${i}]`, c, 'is not a CIDR', 'give e.g. "10.10.0.0/16"'));
    if (props.kubernetesApi === undefined && this.kubernetesApi.cidrs.length === 0) {
      problems.add('kubernetesApi', undefined, 'is unknown: the region has no vpcCidr',
        'give kubernetesApi.cidrs (the API server endpoints) or a vpcCidr in the platform description');
    }
    this.kubernetesApi.cidrs.forEach((c, i) => problems.when(!CIDR.test(c), `kubernetesApi.cidrs[${i}]`, c, 'is not a CIDR', 'give e.g. "10.10.0.0/16"'));
    problems.when(!Number.isInteger(this.kubernetesApi.port) || this.kubernetesApi.port < 1 || this.kubernetesApi.port > 65535, 'kubernetesApi.port',
      this.kubernetesApi.port, 'is not a port', 'use 443');

    if (props.backup) {
      const b = props.backup;
      this.backup = {
        bucket: b.bucket,
        roleArn: b.roleArn,
        prefix: b.prefix ?? `${this.namespace}/${this.name}`,
        region: b.region ?? region?.name ?? '',
        schedule: b.schedule ?? '0 3 * * *',
        retainFullBackups: b.retainFullBackups ?? 7,
        kubectlImage: b.kubectlImage ?? 'docker.io/bitnami/kubectl:1.28.4',
        egressCidrs: b.egressCidrs ?? ['0.0.0.0/0'],
      };
      backupProblems(problems, this.backup);
    } else {
      problems.when(props.backup !== false, 'backup', props.backup, 'is missing', 'give the S3 bucket and IAM role, or false to run without backups');
    }

    const memberOptions = this.memberOptions(props, clusterDomain);
    if (problems.count === 0 || isDnsLabel(this.name)) {
      const renamed: Record<string, string> = { 'memberCount': 'members', 'clientAccess.memberCidrs': 'podCidrs', 'clientAccess.clientCidrs': 'podCidrs' };
      for (const p of validatePatroniInput(memberOptions)) {
        if (p.prop === 'clusterName' || p.prop === 'memberName' || p.prop.startsWith('clientAccess') || p.prop.startsWith('dcs')) continue;
        if (p.prop === 'memberCount' && !(Number.isInteger(this.members) && this.members >= 2 && this.members <= 9)) continue;
        problems.add(renamed[p.prop] ?? p.prop, p.value, p.why.replace(/memberCount/g, 'members'), p.fix);
      }
    }

    this.poolerOptions = this.resolvePooler(problems, props, memberOptions);

    if (problems.count > 0) {
      scope.node.tryRemoveChild(id);
      problems.throwIfAny();
    }

    // ---- children ----
    this.selectorLabels = { [LABELS.name]: 'patroni', [LABELS.instance]: `${this.name}-${this.namespace}` };
    this.labels = {
      ...this.selectorLabels,
      [LABELS.component]: 'database',
      [LABELS.partOf]: this.namespace,
      [LABELS.managedBy]: MANAGED_BY,
      [LABELS.team]: this.team,
      [LABELS.tier]: this.tier,
    };
    const meta = (name: string = this.name, extra: Record<string, string> = {}, annotations?: Record<string, string>) => ({
      name, namespace: this.namespace, labels: { ...this.labels, ...extra }, ...(annotations ? { annotations } : {}),
    });
    const graph = ServiceGraph.of(this);
    graph.addNode(this);

    if (dcs instanceof EtcdCluster) {
      this.etcd = dcs;
    } else if (dcs === 'etcd') {
      this.etcd = new EtcdCluster(this, 'Etcd', { namespace: this.namespace, name: `${this.name}-etcd`, zones: this.zones, team: this.team });
    }
    // Re-render with the etcd endpoints now that they exist.
    const finalOptions = this.memberOptions(props, clusterDomain);
    this.patroni = resolvePatroniMemberOptions(finalOptions);
    if (this.etcd) graph.addEdge(this, this.etcd);

    this.serviceAccount = new ApiObject(this, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(this.serviceAccountName, {}, this.backup ? { 'eks.amazonaws.com/role-arn': this.backup.roleArn } : undefined),
      automountServiceAccountToken: false,
    } as any);

    const memberNames = Array.from({ length: this.members }, (_, i) => `${this.name}-${i}`);
    const rules = this.dcsKind === 'kubernetes'
      ? [
        // Patroni's leader lock, config, failover and sync keys (use_endpoints: false).
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] },
        // Member discovery and the role label.
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
      ]
      // The role-label callback: each member patches its own Pod's labels, nothing else.
      : [{ apiGroups: [''], resources: ['pods'], resourceNames: memberNames, verbs: ['get', 'patch'] }];
    this.role = new ApiObject(this, 'Role', {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(`${this.name}-patroni`), rules,
    } as any);
    this.roleBinding = new ApiObject(this, 'RoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(`${this.name}-patroni`),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${this.name}-patroni` },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace: this.namespace }],
    } as any);

    const configData: Record<string, string> = {
      'patroni.yml': renderPatroniConfig(finalOptions),
      'switchover_prestop.py': renderSwitchoverPreStop({ restApiPort: API_PORT, waitSeconds: this.switchoverWaitSeconds }),
    };
    if (this.dcsKind === 'etcd3') configData['label_role.py'] = renderRoleLabelCallback({ roleLabel: ROLE_LABEL });
    this.configMap = new ApiObject(this, 'ConfigMap', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${this.name}-patroni`), data: configData,
    } as any);

    const ports = [{ name: 'postgresql', port: PG_PORT }, { name: 'patroni', port: API_PORT }, { name: 'metrics', port: METRICS_PORT }];
    this.headlessService = new ApiObject(this, 'HeadlessService', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(this.headlessServiceName, { [LABELS.component]: 'database-members' }),
      spec: headlessServiceSpec(this.selectorLabels, ports),
    });
    const roleService = (cid: string, name: string, component: string, role: string) => {
      const svc = new ApiObject(this, cid, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(name, { [LABELS.component]: component }),
        spec: {
          type: 'ClusterIP',
          selector: { ...this.selectorLabels, [ROLE_LABEL]: role },
          ports: [{ name: 'postgresql', port: PG_PORT, targetPort: 'postgresql', protocol: 'TCP', appProtocol: 'postgresql' }],
        },
      });
      Checks.suppress(svc, 'NINES-WL-06',
        `selects ${ROLE_LABEL}=${role}, a label Patroni${this.dcsKind === 'etcd3' ? "'s role callback" : ''} sets on the member Pods at runtime, not in the template`);
      return svc;
    };
    this.readWriteService = roleService('ReadWriteService', this.readWriteServiceName, 'database-rw', 'master');
    this.readOnlyService = roleService('ReadOnlyService', this.readOnlyServiceName, 'database-ro', 'replica');

    this.statefulSet = new ApiObject(this, 'Resource', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(),
      spec: {
        ...statefulSetSkeleton(this.headlessServiceName, this.members, this.selectorLabels),
        template: {
          metadata: {
            labels: this.labels,
            annotations: {
              'kubectl.kubernetes.io/default-container': 'postgres',
              // With a mesh sidecar: start PostgreSQL only once the proxy is up, and keep the proxy
              // until the last connection closes, so the preStop switchover and the shutdown still
              // reach the other members and etcd (the proxy's default drain is only 5 s).
              'proxy.istio.io/config': JSON.stringify({
                holdApplicationUntilProxyStarts: true,
                terminationDrainDuration: `${this.gracePeriodSeconds - 5}s`,
                proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' },
              }),
            },
          },
          spec: this.renderPodSpec(),
        },
        volumeClaimTemplates: [volumeClaimTemplate('data', this.selectorLabels, this.storageSize, this.storageClass)],
      },
    });
    // Patroni (kubernetes DCS: `kubernetes.role_label`, Patroni 3.0 values master/replica) or our
    // role callback (etcd DCS) sets the role label on the running member Pods.
    // @see https://patroni.readthedocs.io/en/latest/yaml_configuration.html#kubernetes
    declareRuntimeLabels(this.statefulSet, {
      [ROLE_LABEL]: { values: ['master', 'replica'], setBy: this.dcsKind === 'kubernetes' ? 'Patroni (kubernetes.role_label)' : 'the Patroni role callback label_role.py' },
    });
    Checks.suppress(this.statefulSet, 'NINES-HARD-03',
      `Patroni labels its own Pod with its role through the Kubernetes API (Role ${this.name}-patroni: ${this.dcsKind === 'kubernetes'
        ? 'the DCS ConfigMaps and the member Pods' : 'get/patch on the member Pods only'})`);

    this.podDisruptionBudget = new ApiObject(this, 'PodDisruptionBudget', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(),
      // One member at a time: with >= 3 members the leader and at least one synchronous standby
      // stay up through a drain (the preStop hands leadership over first when the leader goes).
      spec: { maxUnavailable: 1, selector: { matchLabels: this.selectorLabels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    });

    this.networkPolicy = new ApiObject(this, 'NetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta(),
      spec: Lazy.any({ produce: () => this.renderNetworkPolicy() }),
    });

    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: meta(),
      spec: {
        selector: { matchLabels: { ...this.selectorLabels, [LABELS.component]: 'database-members' } },
        namespaceSelector: { matchNames: [this.namespace] },
        endpoints: [
          { port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
          { port: 'patroni', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
        ],
        jobLabel: LABELS.name,
      },
    });

    this.prometheusRule = new PrometheusRule(this, 'PrometheusRule', {
      metadata: meta(),
      spec: { groups: [{ name: `${this.namespace}-${this.name}.patroni`, rules: this.alertRules() }] },
    });

    if (this.backup) this.backupCronJob = this.renderBackup(this.backup, memberNames, meta);
    if (this.poolerOptions) [this.pooler, this.poolerConfigMap] = this.renderPooler(this.poolerOptions);
    Checks.of(this.node.root);
  }

  /** Resolves and validates the pooler options (props named `pooler.*`). */
  private resolvePooler(problems: Problems, props: PatroniClusterProps, memberOptions: PatroniMemberOptions): ResolvedPgBouncerOptions | undefined {
    if (props.pooler === undefined || props.pooler === false) return undefined;
    const o: PgBouncerOptions = props.pooler === true ? {} : props.pooler;
    const tier = o.tier ?? Criticality.HIGH;
    const tierOk = !problems.when(!isCriticality(tier), 'pooler.tier', tier, 'is not a criticality tier', 'use Criticality.CRITICAL, HIGH, MEDIUM or LOW');
    const td = tierDefaults(tierOk ? tier : Criticality.LOW);
    const name = `${this.name}-pooler`;
    const secretName = o.auth?.secretName ?? `${name}-auth`;
    const key = o.auth?.key ?? 'userlist.txt';
    const r: ResolvedPgBouncerOptions = {
      name,
      image: o.image ?? 'ghcr.io/cloudnative-pg/pgbouncer:1.22.1-16',
      tier,
      replicas: o.replicas ?? (td.replicasCoverZones ? Math.max(td.replicas, this.zones.length) : td.replicas),
      poolMode: o.poolMode ?? PGBOUNCER_DEFAULTS.poolMode,
      maxClientConn: o.maxClientConn ?? PGBOUNCER_DEFAULTS.maxClientConn,
      defaultPoolSize: o.defaultPoolSize ?? PGBOUNCER_DEFAULTS.defaultPoolSize,
      reservePoolSize: o.reservePoolSize ?? PGBOUNCER_DEFAULTS.reservePoolSize,
      port: o.port ?? PGBOUNCER_DEFAULTS.port,
      auth: {
        secretName,
        key,
        ...(o.auth?.authUser !== undefined ? { authUser: o.auth.authUser, authQuery: o.auth.authQuery ?? PGBOUNCER_DEFAULTS.authQuery } : {}),
        ...(o.auth?.authUser === undefined && o.auth?.authQuery !== undefined ? { authQuery: o.auth.authQuery } : {}),
      },
      resources: resolveResources(o.resources, ResourcePresets.SMALL),
      authFile: `/etc/pgbouncer-auth/${key}`,
    };
    problems.addAll(imageProblems('pooler.image', r.image));
    problems.addAll(resourceProblems('pooler.resources', r.resources));
    problems.when(!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(secretName) || secretName.length > 253, 'pooler.auth.secretName', secretName, 'is not a Secret name',
      'give the name of a Secret in the namespace');
    problems.when(!/^[-._a-zA-Z0-9]+$/.test(key), 'pooler.auth.key', key, 'is not a Secret key', 'use letters, digits, "-", "_" and "."');
    for (const p of validatePgBouncerInput(this.pgBouncerInput(r))) {
      if (p.prop !== 'backendHost') problems.add(`pooler.${p.prop === 'authUser' || p.prop === 'authQuery' ? `auth.${p.prop}` : p.prop}`, p.value, p.why, p.fix);
    }
    if (!Number.isInteger(r.replicas) || r.replicas < 2) {
      problems.add('pooler.replicas', r.replicas, 'must be an integer >= 2: one pooler is a single point of failure in front of a highly available database', 'use at least 2 (3 for critical and high tiers)');
    }
    const maxConnections = resolvePatroniMemberOptions(memberOptions).postgresParameters.maxConnections;
    const budget = Math.floor(maxConnections * 0.8);
    const used = r.replicas * (r.defaultPoolSize + r.reservePoolSize);
    if (Number.isInteger(used) && Number.isInteger(maxConnections) && used > budget) {
      problems.add('pooler.defaultPoolSize', r.defaultPoolSize,
        `with ${r.replicas} replicas (+ reservePoolSize ${r.reservePoolSize}) opens up to ${used} server connections, above 80% of max_connections (${budget} of ${maxConnections}), `
        + 'so a busy pooler fires the connection alert or exhausts PostgreSQL',
        `lower defaultPoolSize to at most ${Math.floor(budget / Math.max(r.replicas, 1)) - r.reservePoolSize}, or raise postgresParameters.maxConnections`);
    }
    return r;
  }

  private pgBouncerInput(r: ResolvedPgBouncerOptions) {
    return {
      backendHost: this.host,
      backendPort: PG_PORT,
      port: r.port,
      poolMode: r.poolMode,
      maxClientConn: r.maxClientConn,
      defaultPoolSize: r.defaultPoolSize,
      reservePoolSize: r.reservePoolSize,
      authFile: r.authFile,
      authUser: r.auth.authUser,
      authQuery: r.auth.authQuery,
    };
  }

  /** The pooler: pgbouncer.ini in a ConfigMap, and a TCP ResilientService that depends on this cluster. */
  private renderPooler(r: ResolvedPgBouncerOptions): [ResilientService, ApiObject] {
    const ini = renderPgBouncerIni(this.pgBouncerInput(r));
    const configName = `${r.name}-config`;
    const pooler = new ResilientService(this, 'Pooler', {
      name: r.name,
      namespace: this.namespace,
      team: this.team,
      tier: r.tier,
      image: r.image,
      protocol: ServiceProtocol.TCP,
      port: r.port,
      metrics: false,
      autoscaling: false,
      replicas: r.replicas,
      zones: this.zones,
      resources: {
        cpu: { request: r.resources.cpuRequest, limit: r.resources.cpuLimit ?? false },
        memory: { request: r.resources.memoryRequest, limit: r.resources.memoryLimit },
        ephemeralStorage: { request: r.resources.ephemeralRequest, limit: r.resources.ephemeralLimit },
      },
      command: ['pgbouncer', '/etc/pgbouncer/pgbouncer.ini'],
      // After the drain, SIGINT is PgBouncer's safe shutdown (PAUSE, then SHUTDOWN: open transactions
      // finish); its SIGTERM before 1.23 is immediate. The preStop waits for the exit.
      shutdown: { afterDrain: POOLER_SAFE_STOP },
      files: [{ mountPath: '/etc/pgbouncer', configMap: configName }, { mountPath: '/etc/pgbouncer-auth', secret: r.auth.secretName }],
      // A new pgbouncer.ini rolls the pods (pgbouncer reads its file at start).
      env: { PGBOUNCER_CONFIG_SHA256: createHash('sha256').update(ini).digest('hex') },
    });
    pooler.dependOn(this);
    const configMap = new ApiObject(this, 'PoolerConfigMap', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: configName, namespace: this.namespace, labels: pooler.labels },
      data: { 'pgbouncer.ini': ini },
    });
    return [pooler, configMap];
  }

  /** Graph identity and availability facts. */
  public get dependencyFacts(): DependencyFacts {
    return {
      id: `${this.namespace}/${this.name}`,
      kind: DependencyKind.DATABASE,
      tier: this.tier,
      replicas: this.members,
      zones: this.zones.length,
      automaticFailover: true,
    };
  }

  /** The members, on the PostgreSQL port only (the read-write and read-only Services route there). */
  public egressPeers(): readonly NetworkPeer[] {
    return [{ namespace: this.namespace, podLabels: this.selectorLabels, ports: [{ port: PG_PORT, protocol: 'TCP' }] }];
  }

  public meshHosts(): readonly string[] {
    return [`${this.namespace}/${this.host}`, `${this.namespace}/${this.readOnlyHost}`];
  }

  /** The members as a traffic source (to the etcd cluster). */
  public callerPeer(): NetworkPeer {
    return { namespace: this.namespace, podLabels: this.selectorLabels, ports: [] };
  }

  private memberOptions(props: PatroniClusterProps, clusterDomain: string): PatroniMemberOptions {
    const member0 = `${this.name}-0.${this.headlessServiceName}.${this.namespace}.svc.${clusterDomain}`;
    const backup = props.backup ? { archiveCommand: 'wal-g wal-push %p', restoreCommand: 'wal-g wal-fetch %f %p' } : undefined;
    const callback = `python3 ${CONFIG_DIR}/label_role.py`;
    return {
      clusterName: this.name,
      // PATRONI_NAME and the PATRONI_*_CONNECT_ADDRESS variables (downward API) override these per member.
      memberName: `${this.name}-0`,
      memberCount: this.members,
      addresses: { restApiConnectAddress: `${member0}:${API_PORT}`, postgresConnectAddress: `${member0}:${PG_PORT}` },
      dcs: this.dcsKind === 'kubernetes'
        ? PatroniDcs.kubernetes({ labels: this.selectorLabels, useEndpoints: false, roleLabel: ROLE_LABEL })
        : PatroniDcs.etcd3({ hosts: this.etcd?.clientEndpoints ?? ['etcd-0.etcd:2379'] }),
      failover: props.failover,
      postgresParameters: props.postgresParameters,
      // Behind the Istio sidecar every member, pooler and service arrives from 127.0.0.6, not from
      // its Pod IP: admitted with the same SCRAM method (the address exists only inside this Pod).
      clientAccess: {
        memberCidrs: this.podCidrs.length > 0 ? this.podCidrs : ['10.0.0.0/8'],
        proxySourceCidrs: [`${ISTIO_INBOUND_SOURCE_ADDRESS}/32`],
      },
      userNames: props.userNames,
      walArchive: backup,
      callbacks: this.dcsKind === 'etcd3' ? { onStart: callback, onRoleChange: callback, onStop: callback } : undefined,
    };
  }

  private renderPodSpec(): Record<string, unknown> {
    const field = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
    const secret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: this.credentials.secretName, key } } });
    const b = this.backup;
    const env = [
      field('PATRONI_NAME', 'metadata.name'),
      field('POD_IP', 'status.podIP'),
      field('POD_NAMESPACE', 'metadata.namespace'),
      { name: 'PATRONI_RESTAPI_CONNECT_ADDRESS', value: `$(POD_IP):${API_PORT}` },
      { name: 'PATRONI_POSTGRESQL_CONNECT_ADDRESS', value: `$(POD_IP):${PG_PORT}` },
      ...(this.dcsKind === 'kubernetes' ? [
        { name: 'PATRONI_KUBERNETES_POD_IP', value: '$(POD_IP)' },
        { name: 'PATRONI_KUBERNETES_NAMESPACE', value: '$(POD_NAMESPACE)' },
      ] : []),
      secret('PATRONI_SUPERUSER_PASSWORD', this.credentials.superuserKey),
      secret('PATRONI_REPLICATION_PASSWORD', this.credentials.replicationKey),
      secret('PATRONI_REWIND_PASSWORD', this.credentials.rewindKey),
      // Basic auth on Patroni's unsafe endpoints: monitoring may reach :8008 for /metrics, not POST /switchover.
      { name: 'PATRONI_RESTAPI_USERNAME', value: 'patroni' },
      secret('PATRONI_RESTAPI_PASSWORD', this.credentials.restApiKey),
      // libpq defaults for tools run in the container (wal-g backup-push from the backup job).
      { name: 'PGHOST', value: this.patroni.addresses.unixSocketDir },
      { name: 'PGUSER', value: this.patroni.userNames.superuser },
      secret('PGPASSWORD', this.credentials.superuserKey),
      { name: 'PGDATA', value: this.patroni.addresses.dataDir },
      ...(b ? [
        { name: 'WALG_S3_PREFIX', value: `s3://${b.bucket}/${b.prefix}` },
        { name: 'AWS_REGION', value: b.region },
        { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
        { name: 'WALG_COMPRESSION_METHOD', value: 'lz4' },
      ] : []),
    ];
    const postgres = {
      name: 'postgres',
      image: this.image,
      imagePullPolicy: 'IfNotPresent',
      command: ['patroni', `${CONFIG_DIR}/patroni.yml`],
      env,
      ports: [
        { name: 'postgresql', containerPort: PG_PORT, protocol: 'TCP' },
        { name: 'patroni', containerPort: API_PORT, protocol: 'TCP' },
      ],
      resources: renderResources(this.resources),
      // initdb, a pg_basebackup clone or crash recovery may take minutes: 10 min before liveness applies.
      startupProbe: { httpGet: { path: '/liveness', port: 'patroni', scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 120, successThreshold: 1 },
      // Patroni's HA loop is alive (a hung Patroni cannot renew the lock and is replaced anyway).
      livenessProbe: { httpGet: { path: '/liveness', port: 'patroni', scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 },
      // The case study's 5 s health check: PostgreSQL runs and is the leader or a streaming replica.
      readinessProbe: { httpGet: { path: '/readiness', port: 'patroni', scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 },
      lifecycle: { preStop: { exec: { command: ['python3', `${CONFIG_DIR}/switchover_prestop.py`] } } },
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
      volumeMounts: [
        { name: 'data', mountPath: '/var/lib/postgresql/data' },
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'run', mountPath: this.patroni.addresses.unixSocketDir },
        { name: 'tmp', mountPath: '/tmp' },
      ],
    };
    const exporter = {
      name: 'exporter',
      image: this.exporterImage,
      imagePullPolicy: 'IfNotPresent',
      env: [
        // Loopback as the superuser: pg_hba admits the superuser only over the socket and loopback.
        { name: 'DATA_SOURCE_URI', value: `127.0.0.1:${PG_PORT}/postgres?sslmode=disable` },
        { name: 'DATA_SOURCE_USER', value: this.patroni.userNames.superuser },
        secret('DATA_SOURCE_PASS', this.credentials.superuserKey),
      ],
      ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
      resources: renderResources(this.exporterResources),
      livenessProbe: { tcpSocket: { port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 },
      readinessProbe: { httpGet: { path: '/', port: 'metrics', scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 2, successThreshold: 1 },
      lifecycle: preStopSleep(5),
      securityContext: containerSecurityContext(this.identity),
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };
    return {
      serviceAccountName: this.serviceAccountName,
      // The role label needs the API (see the NINES-HARD-03 suppression); the token is scoped by the Role.
      automountServiceAccountToken: true,
      enableServiceLinks: false,
      priorityClassName: tierDefaults(this.tier).priorityClassName,
      securityContext: podSecurityContext(this.identity),
      terminationGracePeriodSeconds: this.gracePeriodSeconds,
      topologySpreadConstraints: zoneSpread(this.selectorLabels, false),
      containers: [postgres, exporter],
      volumes: [
        { name: 'config', configMap: { name: `${this.name}-patroni`, defaultMode: 0o444 } },
        { name: 'run', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
        { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
      ],
    };
  }

  private renderNetworkPolicy(): Record<string, unknown> {
    const graph = ServiceGraph.of(this);
    const callers = graph.callingPeersOf(this);
    const members: NetworkPeer = {
      namespace: this.namespace,
      podLabels: this.selectorLabels,
      ports: [{ port: PG_PORT, protocol: 'TCP' }, { port: API_PORT, protocol: 'TCP' }],
    };
    const egress: NetworkPeer[] = [members, ...graph.dependenciesOf(this).flatMap(e => e.to.egressPeers())];
    egress.push({ cidrs: this.kubernetesApi.cidrs, ports: [{ port: this.kubernetesApi.port, protocol: 'TCP' }] });
    if (this.backup) egress.push(this.backupEgress(this.backup));
    return renderNetworkPolicySpec({
      podSelector: this.selectorLabels,
      ingress: [
        members,
        ...callers.map(c => ({ ...c.callerPeer(), ports: [{ port: PG_PORT, protocol: 'TCP' as const }] })),
        { namespace: this.monitoringNamespace, ports: [{ port: METRICS_PORT, protocol: 'TCP' }, { port: API_PORT, protocol: 'TCP' }] },
      ],
      egress,
      meshNamespace: this.meshNamespace,
    });
  }

  private backupEgress(b: Required<PatroniBackupOptions>): NetworkPeer {
    const everything = b.egressCidrs.length === 1 && b.egressCidrs[0] === '0.0.0.0/0';
    return { cidrs: b.egressCidrs, ...(everything ? { exceptCidrs: PRIVATE_RANGES } : {}), ports: [{ port: 443, protocol: 'TCP' }] };
  }

  private alertRules(): Array<{ alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> }> {
    const ns = this.namespace;
    const patroni = `namespace="${ns}",scope="${this.name}"`;
    const pods = `namespace="${ns}",pod=~"${this.name}-[0-9]+"`;
    const pvcs = `namespace="${ns}",persistentvolumeclaim=~"data-${this.name}-[0-9]+"`;
    const labels = (severity: string) => ({ severity, namespace: ns, cluster: this.name });
    const rules = [
      {
        alert: 'PatroniNoLeader',
        expr: `(sum(patroni_primary{${patroni}}) or sum(patroni_master{${patroni}}) or vector(0)) < 1`,
        // A failover takes 10-15 s; longer without a leader means writes are down.
        for: '30s',
        labels: labels('P0'),
        annotations: { summary: `${ns}/${this.name} has no Patroni leader`, description: 'No member has been primary for 30 s: writes fail. Check the DCS (etcd) and `patronictl list`.' },
      },
      {
        alert: 'PostgresReplicationLagHigh',
        expr: `max by (pod) (pg_replication_lag_seconds{${pods}}) > 1`,
        for: '30s',
        labels: labels('P2'),
        annotations: { summary: `${ns}/${this.name} replica {{ $labels.pod }} lags more than 1 s`, description: 'Replication lag above the case study\'s 1 s threshold: reads from the read-only Service are stale.' },
      },
      {
        alert: 'PostgresConnectionsHigh',
        expr: `sum by (pod) (pg_stat_activity_count{${pods}}) / on (pod) max by (pod) (pg_settings_max_connections{${pods}}) > 0.8`,
        for: '5m',
        labels: labels('P3'),
        annotations: { summary: `${ns}/${this.name} {{ $labels.pod }} uses over 80% of max_connections`, description: 'Connections above 80% of max_connections (the case study\'s pool alert): add a pooler or raise the limit.' },
      },
      {
        alert: 'PostgresDiskFilling',
        expr: `kubelet_volume_stats_available_bytes{${pvcs}} / kubelet_volume_stats_capacity_bytes{${pvcs}} < 0.15`,
        for: '5m',
        labels: labels('P3'),
        annotations: { summary: `${ns}/${this.name} volume {{ $labels.persistentvolumeclaim }} is over 85% full`, description: 'Grow the volume (storage.size) before PostgreSQL stops on a full disk.' },
      },
      {
        alert: 'PostgresDiskFullIn4h',
        expr: `predict_linear(kubelet_volume_stats_available_bytes{${pvcs}}[6h], 4 * 3600) < 0`,
        for: '15m',
        labels: labels('P1'),
        annotations: { summary: `${ns}/${this.name} volume {{ $labels.persistentvolumeclaim }} fills within 4 h`, description: 'At the last 6 h\'s rate the volume is full within 4 h.' },
      },
    ];
    if (this.patroni.failover.synchronousMode) {
      rules.splice(2, 0, {
        alert: 'PatroniNoSynchronousStandby',
        expr: `(sum(patroni_sync_standby{${patroni}}) or vector(0)) < 1`,
        for: '1m',
        labels: labels('P1'),
        annotations: {
          summary: `${ns}/${this.name} has no synchronous standby`,
          description: this.patroni.failover.synchronousModeStrict
            ? 'Strict synchronous mode: commits wait until a standby is back; writes are stalled.'
            : 'Commits are acknowledged by the primary alone: losing it now loses acknowledged writes (RPO > 0).',
        },
      });
    }
    return rules.map(r => ({ ...r, annotations: { ...r.annotations, ...runbookAnnotation(this.runbookBaseUrl, `${ns}-${this.name}`, r.alert) } }));
  }

  private renderBackup(b: Required<PatroniBackupOptions>, memberNames: readonly string[],
    meta: (name?: string, extra?: Record<string, string>, annotations?: Record<string, string>) => Record<string, unknown>): ApiObject {
    const name = `${this.name}-backup`;
    const selector = { [LABELS.name]: 'patroni-backup', [LABELS.instance]: `${this.name}-${this.namespace}` };
    const labels = { ...this.labels, ...selector, [LABELS.component]: 'backup' };
    new ApiObject(this, 'BackupServiceAccount', {
      apiVersion: 'v1', kind: 'ServiceAccount', metadata: { ...meta(name), labels }, automountServiceAccountToken: false,
    } as any);
    new ApiObject(this, 'BackupRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { ...meta(name), labels },
      // Find a ready replica among the members and run wal-g in it: nothing else.
      rules: [
        { apiGroups: [''], resources: ['pods'], resourceNames: [...memberNames], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods/exec'], resourceNames: [...memberNames], verbs: ['get', 'create'] },
      ],
    } as any);
    new ApiObject(this, 'BackupRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { ...meta(name), labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: this.namespace }],
    } as any);
    new ApiObject(this, 'BackupNetworkPolicy', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { ...meta(name), labels },
      spec: renderNetworkPolicySpec({
        podSelector: selector,
        ingress: [],
        egress: [{ cidrs: this.kubernetesApi.cidrs, ports: [{ port: this.kubernetesApi.port, protocol: 'TCP' }] }],
        meshNamespace: this.meshNamespace,
      }),
    });
    const script = [
      'set -eu',
      'target=""',
      `for pod in ${memberNames.join(' ')}; do`,
      `  ready=$(kubectl -n ${this.namespace} get pod "$pod" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' || true)`,
      `  role=$(kubectl -n ${this.namespace} get pod "$pod" -o jsonpath='{.metadata.labels.${ROLE_LABEL}}' || true)`,
      '  [ "$ready" = True ] || continue',
      '  if [ "$role" = replica ]; then target=$pod; break; fi',
      '  [ -n "$target" ] || target=$pod',
      'done',
      '[ -n "$target" ] || { echo "no ready member to back up from" >&2; exit 1; }',
      'echo "base backup from $target"',
      `kubectl -n ${this.namespace} exec "$target" -c postgres -- sh -c 'wal-g backup-push "$PGDATA" && wal-g delete retain FULL ${b.retainFullBackups} --confirm'`,
    ].join('\n');
    const cronJob = new ApiObject(this, 'BackupCronJob', {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { ...meta(name), labels },
      spec: {
        schedule: b.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: 6 * 3600,
            ttlSecondsAfterFinished: 7 * 24 * 3600,
            template: {
              // No mesh sidecar: it would keep the Job's Pod running after the backup finishes.
              metadata: { labels, annotations: { 'sidecar.istio.io/inject': 'false' } },
              spec: {
                serviceAccountName: name,
                automountServiceAccountToken: true,
                enableServiceLinks: false,
                restartPolicy: 'Never',
                priorityClassName: tierDefaults(this.tier).priorityClassName,
                securityContext: podSecurityContext(this.identity),
                containers: [{
                  name: 'backup',
                  image: b.kubectlImage,
                  imagePullPolicy: 'IfNotPresent',
                  command: ['/bin/sh', '-c', script],
                  env: [{ name: 'HOME', value: '/tmp' }],
                  resources: renderResources(resolveResources(undefined, ResourcePresets.SMALL)),
                  securityContext: containerSecurityContext(this.identity),
                  terminationMessagePolicy: 'FallbackToLogsOnError',
                  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
                }],
                volumes: [{ name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
              },
            },
          },
        },
      },
    });
    Checks.suppress(cronJob, 'NINES-HARD-03',
      `the base-backup job runs wal-g in a member through the API (Role ${name}: get and exec on the ${memberNames.length} member Pods only)`);
    return cronJob;
  }
}

function backupProblems(problems: Problems, b: Required<PatroniBackupOptions>): void {
  problems.when(typeof b.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b.bucket), 'backup.bucket', b.bucket,
    'is not an S3 bucket name', 'give the bucket the AWS side created, e.g. "nines-backups-us-east-1"');
  problems.when(typeof b.roleArn !== 'string' || !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,128}$/.test(b.roleArn), 'backup.roleArn', b.roleArn,
    'is not an IAM role ARN', 'give e.g. "arn:aws:iam::123456789012:role/orders-db-backup"');
  problems.when(!/^[A-Za-z0-9!_.*'()/-]+$/.test(b.prefix) || b.prefix.startsWith('/'), 'backup.prefix', b.prefix, 'is not an S3 key prefix',
    'give e.g. "orders/orders-db"');
  problems.when(!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(b.region), 'backup.region', b.region, 'is not an AWS region', 'give e.g. "us-east-1"');
  problems.when(b.schedule.trim().split(/\s+/).length !== 5, 'backup.schedule', b.schedule, 'is not a 5-field cron schedule', 'give e.g. "0 3 * * *"');
  problems.when(!Number.isInteger(b.retainFullBackups) || b.retainFullBackups < 1, 'backup.retainFullBackups', b.retainFullBackups,
    'must be an integer >= 1', 'keep e.g. 7');
  problems.addAll(imageProblems('backup.kubectlImage', b.kubectlImage));
  problems.when(b.egressCidrs.length === 0, 'backup.egressCidrs', b.egressCidrs, 'is empty, so WAL cannot reach S3', 'give the S3 CIDRs');
  b.egressCidrs.forEach((c, i) => problems.when(!CIDR.test(c), `backup.egressCidrs[${i}]`, c, 'is not a CIDR', 'give e.g. "52.216.0.0/15"'));
}
