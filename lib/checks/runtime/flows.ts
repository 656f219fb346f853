import { IConstruct } from 'constructs';
import { PerApp } from '../../core/private/per-app';

/** What a flow is for (messages and the README group flows by it). */
export type FlowKind =
  | 'dependency' | 'dns' | 'istiod' | 'probe' | 'scrape' | 'canary-analysis' | 'canary-load-test' | 'chaos-status-check'
  | 'replication' | 'quorum' | 'kubernetes-api' | 'alertmanager-peers' | 'alerting' | 'thanos-store' | 'telemetry';

/**
 * One end of a declared flow: pods by namespace and labels, or addresses outside the cluster
 * (with the host names the caller dials there, when it dials names: a meshed caller's sidecar
 * must find them in the service registry under REGISTRY_ONLY).
 */
export type DeclaredFlowEnd =
  | { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> }
  | { readonly name: string; readonly cidrs: readonly string[]; readonly hosts?: readonly string[] };

/** A flow a construct's own parts need at run time (its members replicating, electing, reaching the API server). */
export interface DeclaredFlow {
  readonly kind: FlowKind;
  readonly from: DeclaredFlowEnd;
  readonly to: DeclaredFlowEnd;
  readonly ports: ReadonlyArray<{ readonly port: number | string; readonly protocol?: 'TCP' | 'UDP' }>;
  /** One line: why the flow is needed, e.g. "standbys stream WAL from the leader". */
  readonly why: string;
  /** The connection is a PostgreSQL replication connection (pg_hba database `replication`). */
  readonly postgresReplication?: boolean;
}

const DECLARED = new PerApp<DeclaredFlow[]>(() => []);

/**
 * Declares flows the parts of a construct need (replication and quorum peers, the Kubernetes
 * API), so the traffic model evaluates them like the flows it derives from `dependOn`. The
 * construct that knows the protocol declares them: `PatroniCluster` its members' streaming
 * replication, `EtcdCluster` its peers' Raft traffic.
 */
export function declareFlows(scope: IConstruct, flows: readonly DeclaredFlow[]): void {
  DECLARED.of(scope).push(...flows);
}

/** The flows declared in the app `scope` belongs to. */
export function declaredFlowsOf(scope: IConstruct): readonly DeclaredFlow[] {
  return DECLARED.peek(scope) ?? [];
}
