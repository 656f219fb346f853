/*
 * Internal: The pure props resolver of {@link EtcdCluster}: every default applied once, every
 * problem with the props collected, nothing built.
 */
import { Problems } from '../../core/errors';
import { isDnsLabel } from '../../core/labels';
import { typedProps, withTypeProblems } from '../../core/prop-types';
import { ResolvedStorage, STORAGE_TYPES, resolveStorage } from '../../core/storage';
import { EtcdMemberOptions, EtcdPeer, validateEtcdInput } from '../../render/etcd';
import type { EtcdClusterProps } from '../etcd-cluster';
import {
  WORKLOAD_PROP_TYPES, PodIdentity, RESOURCES_TYPES, ResolvedResources, ResourcePresets, identityProblems, resolveResources, resourceProblems,
} from '../workload-options';
import { PlatformContext } from './context';
import { Resolution, resolution } from './resolve';
import { resolveIdentity, resolveOwner, zoneProblems } from './stateful';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

/** {@link EtcdClusterProps} with every default applied. */
export interface ResolvedEtcdClusterProps {
  readonly name: string;
  readonly namespace: string;
  readonly team: string;
  readonly image: string;
  readonly members: number;
  readonly zones: readonly string[];
  readonly storage: ResolvedStorage;
  readonly resources: ResolvedResources;
  readonly identity: Required<PodIdentity>;
  readonly headlessServiceName: string;
  /** `<pod>.<headless>.<namespace>.svc.<domain>` of the Pod whose name is `pod`. */
  readonly memberHost: (pod: string) => string;
  readonly peers: readonly EtcdPeer[];
  readonly clientEndpoints: readonly string[];
  /** The renderer input (member 0; the Pods take their own name from `$(POD_NAME)`). */
  readonly memberOptions: EtcdMemberOptions;
}

/** Resolves `props` of the EtcdCluster with id `id` in `context`, or returns every problem. */
export function resolveEtcdClusterProps(id: string, given: EtcdClusterProps, context: PlatformContext): Resolution<ResolvedEtcdClusterProps> {
  const { props, problems: typeProblems } = typedProps(given, {
    ...WORKLOAD_PROP_TYPES,
    members: 'number',
    storage: STORAGE_TYPES,
    resources: RESOURCES_TYPES,
    tuning: {
      initialClusterState: 'string',
      heartbeatIntervalMs: 'number',
      electionTimeoutMs: 'number',
      snapshotCount: 'number',
      autoCompactionRetentionHours: 'number',
      quotaBackendBytes: 'number',
    },
  });
  const problems = new Problems('EtcdCluster', id);
  const { owner: { name, namespace, team, image }, problems: ownerProblems } = resolveOwner(id, props, context, {
    image: 'quay.io/coreos/etcd:v3.5.9',
    maxName: 50,
    nameWhy: 'is not a DNS label of at most 50 characters (Pod and Service names derive from it)',
    nameFix: 'use lower-case letters, digits and "-"',
  });
  const members = props.members ?? 3;
  const zones = props.zones ?? context.zones ?? [];
  const { storage, problems: storageProblems } = resolveStorage('storage', props.storage, { size: '8Gi' });
  const resources = resolveResources(props.resources, ResourcePresets.SMALL);
  const identity = resolveIdentity(props.identity);
  const headlessServiceName = `${name}-peers`;

  problems.addAll(ownerProblems);
  problems.when(!Number.isInteger(members) || members < 3 || members % 2 === 0, 'members', members,
    'must be an odd integer >= 3: etcd keeps a quorum through one failure with 3 members (an even number adds no tolerance)', 'use 3 or 5');
  problems.addAll(zoneProblems(zones, props.zones === undefined && context.zones === undefined, { noun: 'construct' }));
  problems.addAll(storageProblems);
  problems.addAll(resourceProblems('resources', resources));
  problems.addAll(identityProblems('identity', identity));

  const memberHost = (pod: string) => `${pod}.${headlessServiceName}.${namespace}.svc.${context.clusterDomain}`;
  const count = Number.isInteger(members) && members > 0 && members < 100 ? members : 3;
  const peers = Array.from({ length: count }, (_, i) => ({
    name: `${name}-${i}`,
    peerUrl: `http://${memberHost(`${name}-${i}`)}:${ETCD_PEER_PORT}`,
    clientUrl: `http://${memberHost(`${name}-${i}`)}:${ETCD_CLIENT_PORT}`,
  }));
  const memberOptions: EtcdMemberOptions = {
    ...props.tuning, memberName: peers[0].name, peers, clusterToken: `${namespace}-${name}`, dataDir: '/var/lib/etcd/data',
  };
  if (isDnsLabel(name) && isDnsLabel(namespace)) {
    // Member-count problems are reported above in the construct's own words.
    problems.addAll(validateEtcdInput(memberOptions).filter(x => x.prop !== 'peers'), 'tuning');
  }
  return resolution(withTypeProblems(typeProblems, problems.all), () => ({
    name,
    namespace,
    team,
    image,
    members,
    zones,
    storage,
    resources,
    identity,
    headlessServiceName,
    memberHost,
    peers,
    clientEndpoints: peers.map(p => `${memberHost(p.name)}:${ETCD_CLIENT_PORT}`),
    memberOptions,
  }));
}
