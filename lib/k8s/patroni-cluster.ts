import { createHash } from 'crypto';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { PrometheusRule } from './crds/monitoring';
import { DependencyFacts, DependencyKind, IDependent, NetworkPeer, ServiceGraph } from './dependency';
import { EtcdCluster } from './etcd-cluster';
import { PlatformWorkload } from './platform-workload';
import { ResilientService, ServiceProtocol } from './resilient-service';
import { ContainerResources, PodIdentity, ResolvedResources, ResourcePresets, renderResources, resolveResources } from './workload-options';
import { Checks } from '../checks/checks';
import { declareRuntimeLabels } from '../checks/runtime/facts';
import { declareFlows } from '../checks/runtime/flows';
import { Criticality, tierDefaults } from '../core/criticality';
import { LABELS } from '../core/labels';
import { StorageOptions } from '../core/storage';
import {
  PatroniFailoverOptions, PatroniMemberOptions, PostgresParameterOptions, PostgresUserNames, ResolvedPatroniMemberOptions, renderPatroniConfig,
  resolvePatroniMemberOptions,
} from '../render/patroni';
import { renderBaseBackupScript, renderRoleLabelCallback, renderSwitchoverPreStop } from '../render/patroni-scripts';
import { PgBouncerAuthLookup, PgBouncerPoolMode, PgBouncerPoolOptions, renderPgBouncerIni } from '../render/pgbouncer';
import { renderPatroniAlerts } from '../render/stateful-alerts';
import { API_PORT, CONFIG_DIR, PG_PORT, ROLE_LABEL, ResolvedPatroniBackup, patroniSelector, pgBouncerInput, resolvePatroniClusterProps } from './private/patroni-props';
import { containerSecurityContext, hardenedPodBasics, preStopSleep, zoneSpread } from './private/pod';
import { adopt, resolveInScope } from './private/resolve';
import { scrapeEndpoint, scrapeServices } from './private/scrape';
import { MemberTraffic, StatefulMembers, ownerLabels, volumeClaimTemplate } from './private/stateful';
import { serviceAccountWithoutToken } from './private/workload';

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

/**
 * Continuous WAL archiving and base backups to S3 with WAL-G. The members archive WAL (`wal-g
 * wal-push`); a CronJob streams the base backup from a member over PostgreSQL's replication
 * protocol (`wal-g backup-push` without a data directory: BASE_BACKUP) as the replication role,
 * then applies the retention. Nothing runs inside the members' pods and nothing needs the
 * Kubernetes API: no `pods/exec` grant.
 * @see https://github.com/wal-g/wal-g/blob/master/docs/PostgreSQL.md#remote-backup
 */
export interface PatroniBackupOptions {
  /** S3 bucket (from the AWS side). */
  readonly bucket: string;
  /**
   * IAM role for IRSA (`eks.amazonaws.com/role-arn` on the members' and the backup job's service
   * accounts), `arn:aws:iam::<account>:role/<name>`. Leave it unset with EKS Pod Identity (what
   * RegionalCluster sets up): the association of each service account with the role lives on the
   * AWS side and the manifests carry no account id.
   * @default - none: EKS Pod Identity
   * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
   */
  readonly roleArn?: string;
  /**
   * Key prefix inside the bucket (with EKS Pod Identity, RegionalCluster's role admits only keys
   * under `<namespace>/`).
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
   * Networks S3 (and STS, with IRSA) are reached at on 443 (narrow them to the region's S3 prefix list).
   * @default ['0.0.0.0/0'] except the private ranges 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16
   */
  readonly egressCidrs?: readonly string[];
}

/**
 * The EKS Pod Identity agent's address on every node (a link-local address the SDKs fetch
 * credentials from on port 80): egress to it is admitted and it bypasses the mesh proxy.
 * @see https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html
 */
export const POD_IDENTITY_AGENT = { cidr: '169.254.170.23/32', port: 80 } as const;

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
export interface PgBouncerAuth extends PgBouncerAuthLookup {
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
}

/** A PgBouncer pooler in front of the read-write Service (a TCP {@link ResilientService}). */
export interface PgBouncerOptions extends PgBouncerPoolOptions {
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

const METRICS_PORT = 9187;
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const POOLER_SAFE_STOP = 'kill -INT 1; while kill -0 1 2>/dev/null; do sleep 1; done';

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
export class PatroniCluster extends PlatformWorkload implements IDependent {
  public readonly tier!: Criticality;
  public readonly exporterImage!: string;
  public readonly members!: number;
  public readonly storageSize!: string;
  public readonly storageClass!: string;
  public readonly resources!: ResolvedResources;
  public readonly exporterResources!: ResolvedResources;
  /** Base of the alerts' `runbook_url`s; `undefined` when neither the prop nor the platform gives one. */
  public readonly runbookBaseUrl?: string;
  /** Which DCS holds the leader lock. */
  public readonly dcsKind!: 'etcd3' | 'kubernetes';
  /** The etcd cluster, when the DCS is etcd. */
  public readonly etcd?: EtcdCluster;
  public readonly podCidrs!: readonly string[];
  public readonly kubernetesApi!: Required<KubernetesApiAccess>;
  public readonly credentials!: Required<PostgresCredentials>;
  /** The backup settings with every default applied, when backups are on (`roleArn` only with IRSA). */
  public readonly backup?: ResolvedPatroniBackup;
  /** The base-backup job's ServiceAccount (`<name>-backup`), bound to the same AWS role; undefined without backups. */
  public readonly backupServiceAccountName?: string;
  /** Every renderer input with its default applied (failover timings, parameters, role names). */
  public readonly patroni!: ResolvedPatroniMemberOptions;
  /** Seconds the preStop waits for the leadership to move. */
  public readonly switchoverWaitSeconds!: number;
  /** terminationGracePeriodSeconds: the switchover wait plus PostgreSQL's shutdown. */
  public readonly gracePeriodSeconds!: number;
  public readonly selectorLabels!: Record<string, string>;
  public readonly labels!: Record<string, string>;
  /**
   * The members' ServiceAccount (`<name>` in the namespace): the one the AWS backup role must
   * trust for IRSA (`system:serviceaccount:<namespace>:<name>`), since WAL-G runs in the members.
   */
  public readonly serviceAccountName!: string;
  /** Headless governing Service name. */
  public readonly headlessServiceName!: string;
  /** Read-write (leader) Service name: the cluster name. */
  public readonly readWriteServiceName!: string;
  /** Read-only (replicas) Service name. */
  public readonly readOnlyServiceName!: string;
  /** Host applications connect to for writes, e.g. `orders-db.orders.svc.cluster.local`. */
  public readonly host!: string;
  /** Host for reads that tolerate replication lag (0 on synchronous standbys for committed data). */
  public readonly readOnlyHost!: string;

  public readonly statefulSet!: ApiObject;
  public readonly configMap!: ApiObject;
  public readonly serviceAccount!: ApiObject;
  public readonly role!: ApiObject;
  public readonly roleBinding!: ApiObject;
  public readonly headlessService!: ApiObject;
  public readonly readWriteService!: ApiObject;
  public readonly readOnlyService!: ApiObject;
  public readonly podDisruptionBudget!: ApiObject;
  public readonly networkPolicy!: ApiObject;
  public readonly serviceMonitor!: ApiObject;
  public readonly prometheusRule!: ApiObject;
  public readonly backupCronJob?: ApiObject;
  /** The pooler settings with every default applied, when the pooler is on. */
  public readonly poolerOptions?: ResolvedPgBouncerOptions;
  /** The PgBouncer pooler (depends on this cluster); callers `dependOn` it. */
  public readonly pooler?: ResilientService;
  /** pgbouncer.ini from {@link renderPgBouncerIni}. */
  public readonly poolerConfigMap?: ApiObject;

  private readonly memberGroup!: StatefulMembers;

  constructor(scope: Construct, id: string, props: PatroniClusterProps) {
    const resolved = resolveInScope(scope, c => resolvePatroniClusterProps(id, props, c), props);
    super(scope, id, 'PatroniCluster', resolved);
    if (!resolved.built) return;
    const s = resolved.settings;
    adopt(this, s, [
      'tier', 'exporterImage', 'members', 'resources', 'exporterResources', 'runbookBaseUrl', 'dcsKind', 'headlessServiceName',
      'readOnlyServiceName', 'host', 'readOnlyHost', 'podCidrs', 'kubernetesApi', 'credentials', 'backup', 'switchoverWaitSeconds',
      'gracePeriodSeconds', 'poolerOptions',
    ]);
    this.storageSize = s.storage.size;
    this.storageClass = s.storage.storageClass;
    this.backupServiceAccountName = s.backup ? `${this.name}-backup` : undefined;
    this.serviceAccountName = this.readWriteServiceName = this.name;
    this.selectorLabels = patroniSelector(this.name, this.namespace);
    this.labels = { ...this.selectorLabels, [LABELS.component]: 'database', ...ownerLabels(this.namespace, this.team, this.tier) };
    const meta = (name: string = this.name, extra: Record<string, string> = {}, annotations?: Record<string, string>) => ({
      name, namespace: this.namespace, labels: { ...this.labels, ...extra }, ...(annotations ? { annotations } : {}),
    });
    const members = this.memberGroup = new StatefulMembers(this, this.namespace, this.selectorLabels);
    const graph = ServiceGraph.of(this);
    this.declareMemberFlows(s.backup !== undefined);

    const dcs = props.dcs ?? 'etcd';
    if (dcs instanceof EtcdCluster) {
      this.etcd = dcs;
    } else if (dcs === 'etcd') {
      this.etcd = new EtcdCluster(this, 'Etcd', { namespace: this.namespace, name: `${this.name}-etcd`, zones: this.zones, team: this.team });
    }
    // Rendered with the etcd endpoints now that they exist.
    const memberOptions = s.memberOptions(this.etcd?.clientEndpoints);
    this.patroni = resolvePatroniMemberOptions(memberOptions);
    if (this.etcd) graph.addEdge(this, this.etcd);

    this.serviceAccount = serviceAccountWithoutToken(this, 'ServiceAccount',
      meta(this.serviceAccountName, {}, this.backup?.roleArn ? { 'eks.amazonaws.com/role-arn': this.backup.roleArn } : undefined));
    const memberNames = Array.from({ length: this.members }, (_, i) => `${this.name}-${i}`);
    [this.role, this.roleBinding] = this.renderRbac(meta(`${this.name}-patroni`), memberNames);
    this.configMap = new ApiObject(this, 'ConfigMap', {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${this.name}-patroni`), data: this.renderConfigFiles(memberOptions),
    } as any);

    this.headlessService = members.headlessService('HeadlessService', meta(this.headlessServiceName, { [LABELS.component]: 'database-members' }),
      [{ name: 'postgresql', port: PG_PORT }, { name: 'patroni', port: API_PORT }, { name: 'metrics', port: METRICS_PORT }]);
    this.readWriteService = this.roleService('ReadWriteService', meta(this.readWriteServiceName, { [LABELS.component]: 'database-rw' }), 'master');
    this.readOnlyService = this.roleService('ReadOnlyService', meta(this.readOnlyServiceName, { [LABELS.component]: 'database-ro' }), 'replica');

    this.statefulSet = members.statefulSet('Resource', meta(), {
      serviceName: this.headlessServiceName,
      replicas: this.members,
      template: { metadata: { labels: this.labels, annotations: this.podAnnotations() }, spec: this.renderPodSpec() },
      volumeClaimTemplates: [volumeClaimTemplate('data', s.storage, this.selectorLabels)],
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

    // One member at a time: with >= 3 members the leader and at least one synchronous standby
    // stay up through a drain (the preStop hands leadership over first when the leader goes).
    this.podDisruptionBudget = members.disruptionBudget('PodDisruptionBudget', meta());
    this.networkPolicy = members.networkPolicy('NetworkPolicy', meta(), () => this.memberTraffic());
    this.serviceMonitor = scrapeServices(this, {
      metadata: meta(),
      selector: { ...this.selectorLabels, [LABELS.component]: 'database-members' },
      endpoints: [scrapeEndpoint('metrics', '15s', '10s'), scrapeEndpoint('patroni', '15s', '10s')],
      produces: { producer: 'Patroni\'s /metrics and postgres_exporter (scraped by this ServiceMonitor)', metrics: ['patroni_*', 'pg_*'] },
    });
    const alerts = renderPatroniAlerts({ name: this.name, namespace: this.namespace, runbookBaseUrl: this.runbookBaseUrl, ...this.patroni.failover });
    this.prometheusRule = new PrometheusRule(this, 'PrometheusRule', { metadata: meta(), spec: { groups: [alerts] } });

    if (this.backup) this.backupCronJob = this.renderBackup(this.backup, meta);
    if (this.poolerOptions) [this.pooler, this.poolerConfigMap] = this.renderPooler(this.poolerOptions);
    Checks.of(this.node.root);
  }

  /** The flows the members need: replication, Patroni's REST API, the Kubernetes API, and the base-backup job's stream. */
  private declareMemberFlows(withBackup: boolean): void {
    const memberPods = { namespace: this.namespace, podLabels: this.selectorLabels };
    declareFlows(this, [
      {
        kind: 'replication',
        from: memberPods,
        to: memberPods,
        ports: [{ port: PG_PORT }],
        postgresReplication: true,
        why: 'standbys stream WAL from the leader (and pg_rewind / pg_basebackup clone from it)',
      },
      { kind: 'replication', from: memberPods, to: memberPods, ports: [{ port: API_PORT }], why: 'Patroni members check each other\'s REST API before a failover' },
      {
        kind: 'kubernetes-api',
        from: memberPods,
        to: { name: 'the Kubernetes API server', cidrs: this.kubernetesApi.cidrs },
        ports: [{ port: this.kubernetesApi.port }],
        why: 'Patroni labels its pod with its role',
      },
      ...(withBackup ? [{
        kind: 'replication' as const,
        from: { namespace: this.namespace, podLabels: this.backupSelector() },
        to: memberPods,
        ports: [{ port: PG_PORT }],
        postgresReplication: true,
        why: 'the base-backup job streams BASE_BACKUP from a member (wal-g backup-push without a data directory)',
      }] : []),
    ]);
  }

  /** The Role Patroni's members run with, and its binding. */
  private renderRbac(metadata: Record<string, unknown>, memberNames: readonly string[]): [ApiObject, ApiObject] {
    const rules = this.dcsKind === 'kubernetes'
      ? [
        // Patroni's leader lock, config, failover and sync keys (use_endpoints: false).
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] },
        // Member discovery and the role label.
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch', 'update'] },
      ]
      // The role-label callback: each member patches its own Pod's labels, nothing else.
      : [{ apiGroups: [''], resources: ['pods'], resourceNames: [...memberNames], verbs: ['get', 'patch'] }];
    const role = new ApiObject(this, 'Role', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules } as any);
    const binding = new ApiObject(this, 'RoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${this.name}-patroni` },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace: this.namespace }],
    } as any);
    return [role, binding];
  }

  /** patroni.yml and the members' scripts. */
  private renderConfigFiles(memberOptions: PatroniMemberOptions): Record<string, string> {
    const files: Record<string, string> = {
      'patroni.yml': renderPatroniConfig(memberOptions),
      'switchover_prestop.py': renderSwitchoverPreStop({ restApiPort: API_PORT, waitSeconds: this.switchoverWaitSeconds }),
    };
    if (this.dcsKind === 'etcd3') files['label_role.py'] = renderRoleLabelCallback({ roleLabel: ROLE_LABEL });
    return files;
  }

  /** A Service to the members whose role label is `role` (set at runtime, see the suppression). */
  private roleService(id: string, metadata: Record<string, unknown>, role: string): ApiObject {
    const svc = new ApiObject(this, id, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata,
      spec: {
        type: 'ClusterIP',
        selector: { ...this.selectorLabels, [ROLE_LABEL]: role },
        ports: [{ name: 'postgresql', port: PG_PORT, targetPort: 'postgresql', protocol: 'TCP', appProtocol: 'postgresql' }],
      },
    });
    Checks.suppress(svc, 'NINES-WL-06',
      `selects ${ROLE_LABEL}=${role}, a label Patroni${this.dcsKind === 'etcd3' ? "'s role callback" : ''} sets on the member Pods at runtime, not in the template`);
    return svc;
  }

  private podAnnotations(): Record<string, string> {
    return {
      'kubectl.kubernetes.io/default-container': 'postgres',
      // With a mesh sidecar: start PostgreSQL only once the proxy is up, and keep the proxy
      // until the last connection closes, so the preStop switchover and the shutdown still
      // reach the other members and etcd (the proxy's default drain is only 5 s).
      // @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#ProxyConfig
      'proxy.istio.io/config': JSON.stringify({
        holdApplicationUntilProxyStarts: true,
        terminationDrainDuration: `${this.gracePeriodSeconds - 5}s`,
        proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' },
      }),
      // WAL-G's credentials come from the node's EKS Pod Identity agent, not through the proxy.
      ...(this.backup && this.backup.roleArn === undefined ? { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': POD_IDENTITY_AGENT.cidr } : {}),
    };
  }

  /** The pooler: pgbouncer.ini in a ConfigMap, and a TCP ResilientService that depends on this cluster. */
  private renderPooler(r: ResolvedPgBouncerOptions): [ResilientService, ApiObject] {
    const ini = renderPgBouncerIni(pgBouncerInput(r, this.host));
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

  protected get availabilityFacts(): Omit<DependencyFacts, 'id' | 'zones'> {
    return { kind: DependencyKind.DATABASE, tier: this.tier, replicas: this.members, automaticFailover: true };
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
      ...hardenedPodBasics({
        serviceAccountName: this.serviceAccountName,
        priorityClassName: tierDefaults(this.tier).priorityClassName,
        identity: this.identity,
        // The role label needs the API (see the NINES-HARD-03 suppression); the token is scoped by the Role.
        apiToken: true,
      }),
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

  private memberTraffic(): MemberTraffic {
    const graph = ServiceGraph.of(this);
    const members = this.memberGroup.peer(PG_PORT, API_PORT);
    const egress: NetworkPeer[] = [members, ...graph.dependenciesOf(this).flatMap(e => e.to.egressPeers())];
    egress.push({ cidrs: this.kubernetesApi.cidrs, ports: [{ port: this.kubernetesApi.port, protocol: 'TCP' }] });
    if (this.backup) egress.push(this.backupEgress(this.backup));
    if (this.backup && this.backup.roleArn === undefined) egress.push(POD_IDENTITY_AGENT_PEER);
    return {
      ingress: [
        members,
        // The base-backup job streams BASE_BACKUP over the replication protocol.
        ...(this.backup ? [{ namespace: this.namespace, podLabels: this.backupSelector(), ports: [{ port: PG_PORT, protocol: 'TCP' as const }] }] : []),
        ...graph.callingPeersOf(this).map(c => ({ ...c.callerPeer(), ports: [{ port: PG_PORT, protocol: 'TCP' as const }] })),
        { namespace: this.context.monitoringNamespace, ports: [{ port: METRICS_PORT, protocol: 'TCP' }, { port: API_PORT, protocol: 'TCP' }] },
      ],
      egress,
    };
  }

  private backupEgress(b: ResolvedPatroniBackup): NetworkPeer {
    const everything = b.egressCidrs.length === 1 && b.egressCidrs[0] === '0.0.0.0/0';
    return { cidrs: b.egressCidrs, ...(everything ? { exceptCidrs: PRIVATE_RANGES } : {}), ports: [{ port: 443, protocol: 'TCP' }] };
  }

  /** The base-backup job's pod labels. */
  private backupSelector(): Record<string, string> {
    return { [LABELS.name]: 'patroni-backup', [LABELS.instance]: `${this.name}-${this.namespace}` };
  }

  /**
   * The base-backup CronJob: WAL-G in the cluster's own image streams a base backup from a replica
   * (the primary when no replica answers) over the replication protocol, as the replication role,
   * then deletes what the retention no longer needs. It never execs into a member and never calls
   * the Kubernetes API: its ServiceAccount has no Role and no token; only the AWS role is bound to it.
   */
  private renderBackup(b: ResolvedPatroniBackup,
    meta: (name?: string, extra?: Record<string, string>, annotations?: Record<string, string>) => Record<string, unknown>): ApiObject {
    const name = this.backupServiceAccountName!;
    const selector = this.backupSelector();
    const labels = { ...this.labels, ...selector, [LABELS.component]: 'backup' };
    const podIdentity = b.roleArn === undefined;
    serviceAccountWithoutToken(this, 'BackupServiceAccount', { ...meta(name, {}, b.roleArn ? { 'eks.amazonaws.com/role-arn': b.roleArn } : undefined), labels });
    new StatefulMembers(this, this.namespace, selector).networkPolicy('BackupNetworkPolicy', { ...meta(name), labels }, () => ({
      ingress: [],
      egress: [
        { namespace: this.namespace, podLabels: this.selectorLabels, ports: [{ port: PG_PORT, protocol: 'TCP' }] },
        this.backupEgress(b),
        ...(podIdentity ? [POD_IDENTITY_AGENT_PEER] : []),
      ],
    }));
    const secret = (envName: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: this.credentials.secretName, key } } });
    const script = renderBaseBackupScript({
      hosts: [this.readOnlyHost, this.host], retainFullBackups: b.retainFullBackups, quitProxy: !this.context.mesh.nativeSidecars,
    });
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
              // In the mesh (the members' namespace requires mTLS); WAL-G starts once the proxy is up.
              metadata: {
                labels,
                annotations: {
                  'proxy.istio.io/config': JSON.stringify({ holdApplicationUntilProxyStarts: true }),
                  ...(podIdentity ? { 'traffic.sidecar.istio.io/excludeOutboundIPRanges': POD_IDENTITY_AGENT.cidr } : {}),
                },
              },
              spec: {
                ...hardenedPodBasics({
                  serviceAccountName: name, priorityClassName: tierDefaults(this.tier).priorityClassName, identity: this.identity,
                }),
                restartPolicy: 'Never',
                containers: [{
                  name: 'backup',
                  image: this.image,
                  imagePullPolicy: 'IfNotPresent',
                  command: ['/bin/sh', '-c', script],
                  env: [
                    { name: 'HOME', value: '/tmp' },
                    { name: 'PGPORT', value: String(PG_PORT) },
                    { name: 'PGUSER', value: this.patroni.userNames.replication },
                    secret('PGPASSWORD', this.credentials.replicationKey),
                    { name: 'WALG_S3_PREFIX', value: `s3://${b.bucket}/${b.prefix}` },
                    { name: 'AWS_REGION', value: b.region },
                    { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
                    { name: 'WALG_COMPRESSION_METHOD', value: 'lz4' },
                  ],
                  resources: renderResources(resolveResources(undefined, ResourcePresets.SMALL)),
                  securityContext: containerSecurityContext(this.identity),
                  terminationMessagePolicy: 'FallbackToLogsOnError',
                  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
                }],
                volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }],
              },
            },
          },
        },
      },
    });
    return cronJob;
  }
}

/** Egress to the node's EKS Pod Identity agent. */
const POD_IDENTITY_AGENT_PEER: NetworkPeer = { cidrs: [POD_IDENTITY_AGENT.cidr], ports: [{ port: POD_IDENTITY_AGENT.port, protocol: 'TCP' }] };
