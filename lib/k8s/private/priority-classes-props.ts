/*
 * Internal: The pure props check of {@link PriorityClasses}: it takes no props (the classes are
 * fixed by the criticality tiers), so anything a JavaScript caller or a cast passes is a problem,
 * never silently ignored.
 */
import { ALL_TIERS, tierDefaults } from '../../core/criticality';
import { Problem } from '../../core/errors';

/** Every problem with the props given to PriorityClasses: each one given (it takes none). */
export function priorityClassesPropsProblems(given: unknown): Problem[] {
  if (given === undefined) return [];
  const names = ALL_TIERS.map(t => tierDefaults(t).priorityClassName).join(', ');
  const fix = `remove it: the classes (${names}) and their priorities are fixed by the criticality tiers, whose pods name them`;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    return [{ prop: 'props', value: given, why: 'is given, but PriorityClasses takes no props', fix: `call new PriorityClasses(scope, id) and ${fix}` }];
  }
  return Object.entries(given).filter(([, v]) => v !== undefined).map(([prop, value]) => ({
    prop, value, why: 'is not a prop of PriorityClasses, which takes none', fix,
  }));
}
