/*
 * Internal: The pure props resolver of {@link PatroniCluster}: every default applied once (names,
 * hosts, credentials, networks, backup, pooler), every problem with the props collected, nothing
 * built.
 */
import { PlatformContext } from './context';
import { Resolution, resolution } from './resolve';
import { OwnerSettings, resolveIdentity, resolveOwner, zoneProblems } from './stateful';
import { cidrListProblems } from '../../core/cidr';
import { Criticality, isCriticality, tierDefaults } from '../../core/criticality';
import { cronScheduleProblems } from '../../core/cron';
import { Problems } from '../../core/errors';
import { LABELS, isDnsLabel } from '../../core/labels';
import { typedProps, withTypeProblems } from '../../core/prop-types';
import { ResolvedStorage, STORAGE_TYPES, resolveStorage } from '../../core/storage';
import { PatroniDcs, PatroniMemberOptions, resolvePatroniMemberOptions, validatePatroniInput } from '../../render/patroni';
import { PGBOUNCER_DEFAULTS, PgBouncerConfigInput, validatePgBouncerInput } from '../../render/pgbouncer';
import { ISTIO_INBOUND_SOURCE_ADDRESS } from '../crds/istio';
import { EtcdCluster } from '../etcd-cluster';
import type {
  KubernetesApiAccess, PatroniBackupOptions, PatroniClusterProps, PgBouncerOptions, PostgresCredentials, ResolvedPgBouncerOptions,
} from '../patroni-cluster';
import {
  PodIdentity, ResolvedResources, ResourcePresets, identityProblems, imageProblems, resolveResources, resourceProblems,
  WORKLOAD_PROP_TYPES, RESOURCES_TYPES,
} from '../workload-options';

export const PG_PORT = 5432;
export const API_PORT = 8008;
export const CONFIG_DIR = '/etc/patroni';
export const ROLE_LABEL = 'role';
const SWITCHOVER_WAIT_SECONDS = 30;
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** {@link PatroniClusterProps} with every default applied. */
export interface ResolvedPatroniClusterProps extends OwnerSettings {
  readonly exporterImage: string;
  readonly members: number;
  readonly zones: readonly string[];
  readonly storage: ResolvedStorage;
  readonly resources: ResolvedResources;
  readonly exporterResources: ResolvedResources;
  readonly identity: Required<PodIdentity>;
  readonly dcsKind: 'etcd3' | 'kubernetes';
  readonly headlessServiceName: string;
  readonly readOnlyServiceName: string;
  readonly host: string;
  readonly readOnlyHost: string;
  readonly podCidrs: readonly string[];
  readonly kubernetesApi: Required<KubernetesApiAccess>;
  readonly credentials: Required<PostgresCredentials>;
  readonly backup?: ResolvedPatroniBackup;
  readonly switchoverWaitSeconds: number;
  readonly gracePeriodSeconds: number;
  readonly poolerOptions?: ResolvedPgBouncerOptions;
  /** The renderer input, with the etcd members' client endpoints once known. */
  readonly memberOptions: (etcdEndpoints?: readonly string[]) => PatroniMemberOptions;
}

/** Resolves `props` of the PatroniCluster with id `id` in `context`, or returns every problem. */
export function resolvePatroniClusterProps(
  id: string, given: PatroniClusterProps, context: PlatformContext,
): Resolution<ResolvedPatroniClusterProps> {
  const { props, problems: typeProblems } = typedProps(given, {
    ...WORKLOAD_PROP_TYPES,
    exporterImage: 'string',
    members: 'number',
    tier: 'string',
    dcs: { anyOf: ['string', 'object'] },
    storage: STORAGE_TYPES,
    resources: RESOURCES_TYPES,
    failover: {
      ttlSeconds: 'number',
      loopWaitSeconds: 'number',
      retryTimeoutSeconds: 'number',
      maximumLagOnFailoverBytes: 'number',
      primaryStartTimeoutSeconds: 'number',
      synchronousMode: 'boolean',
      synchronousStandbys: 'number',
    },
    postgresParameters: {
      maxConnections: 'number',
      sharedBuffers: 'string',
      walLevel: 'string',
      maxWalSenders: 'number',
      maxReplicationSlots: 'number',
      walKeepSize: 'string',
      walRetrieveRetryInterval: 'string',
      synchronousCommit: 'string',
      // rendered as given (booleans as on/off): any other type would be written as "[object Object]" or a list
      additional: { record: { anyOf: ['string', 'number', 'boolean'] } },
    },
    userNames: { superuser: 'string', replication: 'string', rewind: 'string' },
    credentials: { secretName: 'string', superuserKey: 'string', replicationKey: 'string', rewindKey: 'string', restApiKey: 'string' },
    podCidrs: ['string'],
    kubernetesApi: { cidrs: ['string'], port: 'number' },
    backup: {
      anyOf: ['false', {
        bucket: 'string', roleArn: 'string', prefix: 'string', region: 'string', schedule: 'string', retainFullBackups: 'number', egressCidrs: ['string'],
      }],
    },
    pooler: {
      anyOf: ['boolean', {
        image: 'string',
        tier: 'string',
        replicas: 'number',
        port: 'number',
        auth: { secretName: 'string', key: 'string', authUser: 'string', authQuery: 'string' },
        resources: RESOURCES_TYPES,
        poolMode: 'string',
        maxClientConn: 'number',
        defaultPoolSize: 'number',
        reservePoolSize: 'number',
      }],
    },
    runbookBaseUrl: 'string',
  });
  const problems = new Problems('PatroniCluster', id);
  const exporterImage = props.exporterImage ?? 'quay.io/prometheuscommunity/postgres-exporter:v0.15.0';
  const { owner, problems: ownerProblems } = resolveOwner(id, props, context, {
    tier: Criticality.CRITICAL,
    images: { exporterImage },
    maxName: 40,
    nameWhy: 'is not a DNS label of at most 40 characters (Pod, Service and Patroni scope names derive from it)',
    nameFix: 'use lower-case letters, digits and "-"',
  });
  const { name, namespace } = owner;
  const members = props.members ?? 3;
  const zones = props.zones ?? context.zones ?? [];
  const { storage, problems: storageProblems } = resolveStorage('storage', props.storage, { size: '50Gi', minBytes: 2 ** 30 });
  const identity = resolveIdentity(props.identity);
  const vpcCidrs = context.region?.vpcCidr ? [context.region.vpcCidr] : [];
  const podCidrs = props.podCidrs ?? vpcCidrs;
  const kubernetesApi = { cidrs: props.kubernetesApi?.cidrs ?? vpcCidrs, port: props.kubernetesApi?.port ?? 443 };
  const credentials = resolveCredentials(props.credentials);
  const dcs = props.dcs ?? 'etcd';
  problems.when(dcs !== 'etcd' && dcs !== 'kubernetes' && !(dcs instanceof EtcdCluster), 'dcs', dcs, 'is not a Patroni DCS this construct runs',
    'use "etcd" (an EtcdCluster of its own), "kubernetes" (Endpoints and ConfigMaps), or an EtcdCluster to share');
  const dcsKind = dcs === 'kubernetes' ? 'kubernetes' as const : 'etcd3' as const;
  const headlessServiceName = `${name}-members`;
  const readOnlyServiceName = `${name}-ro`;
  const svc = `${namespace}.svc.${context.clusterDomain}`;

  problems.addAll(ownerProblems);
  problems.when(!Number.isInteger(members) || members < 2 || members > 9, 'members', members, 'must be an integer between 2 and 9', 'run 3 members');
  problems.addAll(zoneProblems(zones, props.zones === undefined && context.zones === undefined, { noun: 'construct' }));
  problems.addAll(storageProblems);
  const resources = resolveResources(props.resources, ResourcePresets.LARGE);
  problems.addAll(resourceProblems('resources', resources));
  problems.addAll(identityProblems('identity', identity));
  credentialProblems(problems, credentials);
  networkProblems(problems, props, podCidrs, kubernetesApi);
  const backup = props.backup ? resolveBackup(props.backup, namespace, name, context.region?.name) : undefined;
  if (backup) backupProblems(problems, backup);
  else problems.when(props.backup !== false, 'backup', props.backup, 'is missing', 'give the S3 bucket and IAM role, or false to run without backups');

  const memberOptions = (etcdEndpoints?: readonly string[]): PatroniMemberOptions => {
    const member0 = `${name}-0.${headlessServiceName}.${svc}`;
    const callback = `python3 ${CONFIG_DIR}/label_role.py`;
    return {
      clusterName: name,
      // PATRONI_NAME and the PATRONI_*_CONNECT_ADDRESS variables (downward API) override these per member.
      memberName: `${name}-0`,
      memberCount: members,
      addresses: { restApiConnectAddress: `${member0}:${API_PORT}`, postgresConnectAddress: `${member0}:${PG_PORT}` },
      dcs: dcsKind === 'kubernetes'
        ? PatroniDcs.kubernetes({ labels: patroniSelector(name, namespace), useEndpoints: false, roleLabel: ROLE_LABEL })
        : PatroniDcs.etcd3({ hosts: etcdEndpoints ?? ['etcd-0.etcd:2379'] }),
      failover: props.failover,
      postgresParameters: props.postgresParameters,
      // Behind the Istio sidecar every member, pooler and service arrives from 127.0.0.6, not from
      // its Pod IP: admitted with the same SCRAM method (the address exists only inside this Pod).
      clientAccess: {
        memberCidrs: podCidrs.length > 0 ? podCidrs : ['10.0.0.0/8'],
        proxySourceCidrs: [`${ISTIO_INBOUND_SOURCE_ADDRESS}/32`],
      },
      userNames: props.userNames,
      walArchive: props.backup ? { archiveCommand: 'wal-g wal-push %p', restoreCommand: 'wal-g wal-fetch %f %p' } : undefined,
      callbacks: dcsKind === 'etcd3' ? { onStart: callback, onRoleChange: callback, onStop: callback } : undefined,
    };
  };
  if (problems.count === 0 || isDnsLabel(name)) memberProblems(problems, memberOptions(), members);
  const host = `${name}.${svc}`;
  const poolerOptions = resolvePooler(problems, props.pooler, { name, zones, host, memberOptions: memberOptions() });

  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    ...owner,
    exporterImage,
    members,
    zones,
    storage,
    resources,
    identity,
    dcsKind,
    headlessServiceName,
    readOnlyServiceName,
    host,
    podCidrs,
    kubernetesApi,
    credentials,
    backup,
    poolerOptions,
    memberOptions,
    exporterResources: resolveResources({
      cpu: { request: '50m', limit: '250m' }, memory: { request: '64Mi', limit: '128Mi' }, ephemeralStorage: { request: '32Mi', limit: '128Mi' },
    }),
    readOnlyHost: `${readOnlyServiceName}.${svc}`,
    switchoverWaitSeconds: SWITCHOVER_WAIT_SECONDS,
    gracePeriodSeconds: 90,
  }));
}

/** The labels selecting the members (Patroni's kubernetes DCS lists its members by them too). */
export function patroniSelector(name: string, namespace: string): Record<string, string> {
  return { [LABELS.name]: 'patroni', [LABELS.instance]: `${name}-${namespace}` };
}

function resolveCredentials(c: PostgresCredentials | undefined): Required<PostgresCredentials> {
  return {
    secretName: c?.secretName as string,
    superuserKey: c?.superuserKey ?? 'superuser-password',
    replicationKey: c?.replicationKey ?? 'replication-password',
    rewindKey: c?.rewindKey ?? 'rewind-password',
    restApiKey: c?.restApiKey ?? 'restapi-password',
  };
}

function credentialProblems(problems: Problems, c: Required<PostgresCredentials>): void {
  problems.when(!isDnsLabel(c.secretName) && !SECRET_NAME.test(String(c.secretName)),
    'credentials.secretName', c.secretName, 'is not a Secret name', 'give the name of a Secret in the namespace');
  for (const key of ['superuserKey', 'replicationKey', 'rewindKey', 'restApiKey'] as const) {
    problems.when(!SECRET_KEY.test(c[key]), `credentials.${key}`, c[key], 'is not a Secret key', 'use letters, digits, "-", "_" and "."');
  }
  const keys = [c.superuserKey, c.replicationKey, c.rewindKey, c.restApiKey];
  problems.when(new Set(keys).size !== keys.length, 'credentials', keys, 'uses one key for two roles, so the replication role would hold the superuser\'s password',
    'give every role its own key');
}

function networkProblems(problems: Problems, props: PatroniClusterProps, podCidrs: readonly string[], api: Required<KubernetesApiAccess>): void {
  if (props.podCidrs === undefined && podCidrs.length === 0) {
    problems.add('podCidrs', undefined, 'are unknown: the region has no vpcCidr', 'give the Pod CIDRs or a vpcCidr in the platform description');
  }
  problems.addAll(cidrListProblems('podCidrs', podCidrs, '10.10.0.0/16', { ipv6: true }));
  if (props.kubernetesApi === undefined && api.cidrs.length === 0) {
    problems.add('kubernetesApi', undefined, 'is unknown: the region has no vpcCidr',
      'give kubernetesApi.cidrs (the API server endpoints) or a vpcCidr in the platform description');
  }
  problems.addAll(cidrListProblems('kubernetesApi.cidrs', api.cidrs, '10.10.0.0/16', { ipv6: true }));
  problems.when(!Number.isInteger(api.port) || api.port < 1 || api.port > 65535, 'kubernetesApi.port', api.port, 'is not a port', 'use 443');
}

/** The renderer's problems with the member options, reported under the construct's props. */
function memberProblems(problems: Problems, options: PatroniMemberOptions, members: number): void {
  const renamed: Record<string, string> = { 'memberCount': 'members', 'clientAccess.memberCidrs': 'podCidrs', 'clientAccess.clientCidrs': 'podCidrs' };
  for (const p of validatePatroniInput(options)) {
    if (p.prop === 'clusterName' || p.prop === 'memberName' || p.prop.startsWith('clientAccess') || p.prop.startsWith('dcs')) continue;
    if (p.prop === 'memberCount' && !(Number.isInteger(members) && members >= 2 && members <= 9)) continue;
    problems.add(renamed[p.prop] ?? p.prop, p.value, p.why.replace(/memberCount/g, 'members'), p.fix);
  }
}

/** Backup settings with every default applied; `roleArn` only with IRSA (EKS Pod Identity otherwise). */
export type ResolvedPatroniBackup = Required<Omit<PatroniBackupOptions, 'roleArn'>> & { readonly roleArn?: string };

function resolveBackup(b: PatroniBackupOptions, namespace: string, name: string, region: string | undefined): ResolvedPatroniBackup {
  return {
    bucket: b.bucket,
    ...(b.roleArn !== undefined ? { roleArn: b.roleArn } : {}),
    prefix: b.prefix ?? `${namespace}/${name}`,
    region: b.region ?? region ?? '',
    schedule: b.schedule ?? '0 3 * * *',
    retainFullBackups: b.retainFullBackups ?? 7,
    egressCidrs: b.egressCidrs ?? ['0.0.0.0/0'],
  };
}

function backupProblems(problems: Problems, b: ResolvedPatroniBackup): void {
  // @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  problems.when(typeof b.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b.bucket), 'backup.bucket', b.bucket,
    'is not an S3 bucket name', 'give the bucket the AWS side created, e.g. "nines-backups-us-east-1"');
  problems.when(b.roleArn !== undefined && (typeof b.roleArn !== 'string' || !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,128}$/.test(b.roleArn)),
    'backup.roleArn', b.roleArn, 'is not an IAM role ARN',
    'give e.g. "arn:aws:iam::123456789012:role/orders-db-backup" for IRSA, or leave it unset for EKS Pod Identity');
  problems.when(!/^[A-Za-z0-9!_.*'()/-]+$/.test(b.prefix) || b.prefix.startsWith('/'), 'backup.prefix', b.prefix, 'is not an S3 key prefix',
    'give e.g. "orders/orders-db"');
  problems.when(!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(b.region), 'backup.region', b.region, 'is not an AWS region', 'give e.g. "us-east-1"');
  problems.addAll(cronScheduleProblems('backup.schedule', b.schedule, '"0 3 * * *" (daily at 03:00)'));
  problems.when(!Number.isInteger(b.retainFullBackups) || b.retainFullBackups < 1, 'backup.retainFullBackups', b.retainFullBackups,
    'must be an integer >= 1', 'keep e.g. 7');
  problems.when(b.egressCidrs.length === 0, 'backup.egressCidrs', b.egressCidrs, 'is empty, so WAL cannot reach S3', 'give the S3 CIDRs');
  problems.addAll(cidrListProblems('backup.egressCidrs', b.egressCidrs, '52.216.0.0/15', { ipv6: true }));
}

/** pgbouncer.ini's input for the pooler `r` in front of `host`. */
export function pgBouncerInput(r: ResolvedPgBouncerOptions, host: string): PgBouncerConfigInput {
  return {
    backendHost: host,
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

/** Resolves and validates the pooler options (props named `pooler.*`). */
function resolvePooler(problems: Problems, given: PgBouncerOptions | boolean | undefined,
  cluster: { name: string; zones: readonly string[]; host: string; memberOptions: PatroniMemberOptions }): ResolvedPgBouncerOptions | undefined {
  if (given === undefined || given === false) return undefined;
  const o: PgBouncerOptions = given === true ? {} : given;
  const tier = o.tier ?? Criticality.HIGH;
  const tierOk = !problems.when(!isCriticality(tier), 'pooler.tier', tier, 'is not a criticality tier', 'use Criticality.CRITICAL, HIGH, MEDIUM or LOW');
  const td = tierDefaults(tierOk ? tier : Criticality.LOW);
  const name = `${cluster.name}-pooler`;
  const secretName = o.auth?.secretName ?? `${name}-auth`;
  const key = o.auth?.key ?? 'userlist.txt';
  const r: ResolvedPgBouncerOptions = {
    name,
    image: o.image ?? 'ghcr.io/cloudnative-pg/pgbouncer:1.22.1-16',
    tier,
    replicas: o.replicas ?? (td.replicasCoverZones ? Math.max(td.replicas, cluster.zones.length) : td.replicas),
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
  problems.when(!SECRET_NAME.test(secretName) || secretName.length > 253, 'pooler.auth.secretName', secretName, 'is not a Secret name',
    'give the name of a Secret in the namespace');
  problems.when(!SECRET_KEY.test(key), 'pooler.auth.key', key, 'is not a Secret key', 'use letters, digits, "-", "_" and "."');
  for (const p of validatePgBouncerInput(pgBouncerInput(r, cluster.host))) {
    if (p.prop !== 'backendHost') problems.add(`pooler.${p.prop === 'authUser' || p.prop === 'authQuery' ? `auth.${p.prop}` : p.prop}`, p.value, p.why, p.fix);
  }
  if (!Number.isInteger(r.replicas) || r.replicas < 2) {
    problems.add('pooler.replicas', r.replicas, 'must be an integer >= 2: one pooler is a single point of failure in front of a highly available database', 'use at least 2 (3 for critical and high tiers)');
  }
  const maxConnections = resolvePatroniMemberOptions(cluster.memberOptions).postgresParameters.maxConnections;
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
