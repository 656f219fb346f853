import { Construct } from 'constructs';
import { DependencyFacts, IDependable, NetworkPeer, ServiceGraph } from './dependency';
import { notBuilt } from '../core/app-problems';
import { PlatformContext } from './private/context';
import { ResolvedInScope, adopt } from './private/resolve';
import { PodIdentity } from './workload-options';

/** The fields every workload has, set from its resolved props under the same names. */
const WORKLOAD_FIELDS = ['name', 'namespace', 'team', 'image', 'zones', 'identity'] as const;

/**
 * What every workload's resolved props hold: the values of the fields in `WORKLOAD_FIELDS`.
 * @internal
 */
export type WorkloadSettings = Pick<PlatformWorkload, typeof WORKLOAD_FIELDS[number]>;

/**
 * The base of the constructs that run a team's Pods in a namespace: {@link ResilientService},
 * {@link PatroniCluster}, {@link EtcdCluster}, {@link KafkaCluster} and {@link RedisSentinel}.
 * It holds what they all are (a name, a namespace, an owning team, an image, the zones the Pods
 * spread over and their identity), set once from the resolved props, and it is the one place
 * their constructors turn props with problems into the placeholder the program holds (the
 * problems are recorded on the app and thrown at its first validation; see `notBuilt` in
 * `lib/core/app-problems`). Each is a node of the app's service graph from its creation, with the
 * graph identity `<namespace>/<name>`.
 */
export abstract class PlatformWorkload extends Construct implements IDependable {
  /** The name the workload's objects are named after: the `name` prop, or the construct id. */
  public readonly name!: string;
  /** The namespace of the workload's objects. */
  public readonly namespace!: string;
  /** The owning team (label `nines.dev/team`): the `team` prop, or the namespace. */
  public readonly team!: string;
  /** The image of the main container. */
  public readonly image!: string;
  /** Zones the Pods spread over. */
  public readonly zones!: readonly string[];
  /** The Pods' non-root identity (uid, gid, fsGroup). */
  public readonly identity!: Required<PodIdentity>;
  /**
   * The platform context the props were resolved in (namespaces of the platform components,
   * the cluster domain).
   * @internal
   */
  protected readonly context!: PlatformContext;

  /**
   * With `resolved` built, sets the fields above and adds the workload to the app's service
   * graph; otherwise returns the placeholder, which then is `this` in the subclass's constructor:
   * the subclass returns right after `super` (`if (!resolved.built) return;`) and builds nothing.
   * @internal
   */
  protected constructor(scope: Construct, id: string, constructType: string, resolved: ResolvedInScope<WorkloadSettings>) {
    super(scope, id);
    if (!resolved.built) return notBuilt(this, constructType, resolved.problems);
    adopt(this, resolved.settings, WORKLOAD_FIELDS);
    this.context = resolved.context;
    ServiceGraph.of(this).addNode(this);
  }

  /** Graph identity (`<namespace>/<name>`) and availability facts. */
  public get dependencyFacts(): DependencyFacts {
    return { id: `${this.namespace}/${this.name}`, zones: this.zones.length, ...this.availabilityFacts };
  }

  /**
   * The availability facts of the workload's own kind: what it is to its dependents, its tier,
   * the replicas that serve and whether losing the active one fails over by itself.
   */
  protected abstract get availabilityFacts(): Omit<DependencyFacts, 'id' | 'zones'>;

  /** Where a dependent's traffic goes (NetworkPolicy egress). */
  public abstract egressPeers(): readonly NetworkPeer[];

  /** Mesh hosts a dependent may reach, as Istio `namespace/host` entries. */
  public abstract meshHosts(): readonly string[];
}
