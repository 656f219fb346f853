import { IConstruct } from 'constructs';
import { notBuiltProblemsOf, recordAppProblem } from '../core/app-problems';
import { Criticality } from '../core/criticality';
import { ValidationError } from '../core/errors';
import { PerApp } from '../core/private/per-app';

/** What kind of component a dependency is (for the reliability report). */
export enum DependencyKind {
  SERVICE = 'service',
  DATABASE = 'database',
  CACHE = 'cache',
  QUEUE = 'queue',
  EXTERNAL = 'external',
}

/** A network destination a dependent must be allowed to reach (or a source to admit). */
export interface NetworkPeer {
  /** Namespace of in-cluster pods. */
  readonly namespace?: string;
  /** Pod labels of in-cluster pods. */
  readonly podLabels?: Record<string, string>;
  /** CIDRs outside the cluster (external endpoints). */
  readonly cidrs?: readonly string[];
  /** CIDRs excluded from `cidrs`. */
  readonly exceptCidrs?: readonly string[];
  /** Ports (pod ports for in-cluster peers). */
  readonly ports: ReadonlyArray<{ readonly port: number | string; readonly protocol?: 'TCP' | 'UDP' }>;
}

/** Availability facts about a component, read by the checks and the reliability report. */
export interface DependencyFacts {
  /** Unique id in the app's graph, e.g. `orders/order-service`. */
  readonly id: string;
  readonly kind: DependencyKind;
  /** Criticality tier, when the component has one. */
  readonly tier?: Criticality;
  /** Replicas that can serve (for a database: members). */
  readonly replicas: number;
  /** Zones the replicas spread over. */
  readonly zones: number;
  /** True when losing the active instance fails over automatically (stateless replicas count). */
  readonly automaticFailover: boolean;
}

/**
 * Something a service can depend on: another service, a database, a cache, a queue or an
 * external endpoint. From the one declaration `service.dependOn(x)` come NetworkPolicy egress,
 * the mesh's allowed hosts, the graph the checks and the reliability report read.
 */
export interface IDependable extends IConstruct {
  /** Graph identity and availability facts. */
  readonly dependencyFacts: DependencyFacts;
  /** Where a dependent's traffic goes (NetworkPolicy egress). */
  egressPeers(): readonly NetworkPeer[];
  /** Mesh hosts a dependent may reach, as Istio `namespace/host` entries. */
  meshHosts(): readonly string[];
}

/** A component that calls dependencies and can be admitted as a caller. */
export interface IDependent extends IDependable {
  /** The caller's pods, as a NetworkPolicy source. */
  callerPeer(): NetworkPeer;
}

/** Options of a dependency edge. */
export interface DependOnOptions {
  /**
   * The caller degrades gracefully (cache, default response) when this dependency fails, so
   * it is not a hard dependency for availability.
   * @default false
   */
  readonly fallback?: boolean;
}

/** One edge of the graph. */
export interface DependencyEdge {
  readonly from: IDependent;
  readonly to: IDependable;
  readonly fallback: boolean;
}

/** The dependency graph of one app, declared once through `dependOn`. */
export class ServiceGraph {
  /** The graph of the app that `scope` belongs to. */
  public static of(scope: IConstruct): ServiceGraph {
    return ServiceGraph.APPS.of(scope);
  }

  private static readonly APPS = new PerApp(() => new ServiceGraph());

  private readonly out = new Map<IDependable, DependencyEdge[]>();
  private readonly in = new Map<IDependable, DependencyEdge[]>();
  private readonly nodeSet = new Set<IDependable>();

  private constructor() {}

  /** Registers a component (so components without edges are in the graph too). */
  public addNode(node: IDependable): void {
    this.nodeSet.add(node);
  }

  /**
   * Adds `from -> to`. A cycle is an error with the whole loop, recorded on the app (thrown with
   * every other problem of the app at its first validation); the edge is not added.
   */
  public addEdge(from: IDependent, to: IDependable, options: DependOnOptions = {}): void {
    // An end that was not built has its problems recorded already; the app will not synthesize.
    if (notBuiltProblemsOf(from) || notBuiltProblemsOf(to)) return;
    if ((this.out.get(from) ?? []).some(e => e.to === to)) return;
    const cycle = from === to ? [from] : this.pathBetween(to, from);
    if (cycle) {
      const loop = [from, ...cycle].map(n => n.dependencyFacts.id);
      recordAppProblem(from, new ValidationError('Dependency', from.node.path, [{
        prop: 'dependOn',
        value: to.dependencyFacts.id,
        why: `closes a dependency cycle ${loop.join(' -> ')}, where one failure feeds back into itself`,
        fix: 'break the cycle: make one side asynchronous (a queue) or remove the call',
      }]));
      return;
    }
    this.nodeSet.add(from);
    this.nodeSet.add(to);
    const edge: DependencyEdge = { from, to, fallback: options.fallback ?? false };
    push(this.out, from, edge);
    push(this.in, to, edge);
  }

  /** Edges leaving `node`. */
  public dependenciesOf(node: IDependable): readonly DependencyEdge[] {
    return this.out.get(node) ?? [];
  }

  /** Edges arriving at `node`. */
  public callersOf(node: IDependable): readonly DependencyEdge[] {
    return this.in.get(node) ?? [];
  }

  /** The callers of `node` that can be admitted as traffic sources (NetworkPolicy ingress). */
  public callingPeersOf(node: IDependable): IDependent[] {
    return this.callersOf(node).map(e => e.from).filter((f): f is IDependent => typeof (f as IDependent).callerPeer === 'function');
  }

  /** Every registered component. */
  public get nodes(): readonly IDependable[] {
    return [...this.nodeSet];
  }

  /** Every edge. */
  public get edges(): readonly DependencyEdge[] {
    return [...this.out.values()].flat();
  }

  /** A path start -> ... -> goal (excluding start), or undefined. Iterative DFS. */
  private pathBetween(start: IDependable, goal: IDependable): IDependable[] | undefined {
    const parent = new Map<IDependable, IDependable | undefined>([[start, undefined]]);
    const stack = [start];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n === goal) {
        const path: IDependable[] = [];
        for (let c: IDependable | undefined = n; c; c = parent.get(c)) path.unshift(c);
        return path;
      }
      for (const e of this.out.get(n) ?? []) {
        if (!parent.has(e.to)) {
          parent.set(e.to, n);
          stack.push(e.to);
        }
      }
    }
    return undefined;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
