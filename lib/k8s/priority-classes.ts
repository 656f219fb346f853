import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { priorityClassesPropsProblems } from './private/priority-classes-props';
import { notBuilt } from '../core/app-problems';
import { ALL_TIERS, tierDefaults } from '../core/criticality';
import { LABELS, MANAGED_BY } from '../core/labels';

/**
 * One PriorityClass per criticality tier (the case study's "pod priority: critical pods get
 * resources first"). Critical and high preempt lower tiers; medium and low never preempt.
 * Cluster-scoped: create once per cluster.
 */
export class PriorityClasses extends Construct {
  /** The PriorityClass objects, by tier. */
  public readonly classes: Record<string, ApiObject> = {};

  /**
   * @param props none: the classes are fixed by the tiers. Props a JavaScript caller (or a cast)
   *   passes are problems in the app's one error, never silently ignored.
   */
  constructor(scope: Construct, id: string, props?: Readonly<Record<string, never>>) {
    super(scope, id);
    const problems = priorityClassesPropsProblems(props);
    if (problems.length > 0) return notBuilt(this, 'PriorityClasses', problems);
    for (const tier of ALL_TIERS) {
      const d = tierDefaults(tier);
      this.classes[tier] = new ApiObject(this, tier, {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: d.priorityClassName, labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.tier]: tier } },
        value: d.priority,
        globalDefault: false,
        preemptionPolicy: d.rank >= 3 ? 'PreemptLowerPriority' : 'Never',
        description: `Nines ${tier} tier`,
      } as any);
    }
  }
}
