/**
 * One cause, one finding. Some rules find the same fault on many objects: a 60-character
 * service name derives one over-long instance label that every object of the service carries;
 * two services of one name collide on each of their ten objects. A rule that knows the cause
 * returns it with each result, and the pass reports one finding per cause, listing the objects
 * (a cause found on a single object reads as before).
 */
import type { Finding } from './checks';

/** The cause of a rule's result, shared by every object it is found on. */
export interface FindingCause {
  /** Equal keys (for one rule) are one cause. */
  readonly key: string;
  /** The message of the grouped finding, about the cause rather than one object. */
  readonly message: string;
  /**
   * Where this object shows the cause (e.g. the label field); the grouped message lists the
   * distinct places.
   */
  readonly where?: string;
}

/** A finding as a rule filed it, with its cause when the rule gave one. */
export type CausedFinding = Finding & { readonly cause?: FindingCause };

/**
 * The findings with those of one rule and one cause merged into one, at the place of the first:
 * its path is the objects' common construct path, its object the list of the objects.
 */
export function mergeCauses(findings: readonly CausedFinding[]): Finding[] {
  const groups = new Map<string, CausedFinding[]>();
  for (const f of findings) {
    if (!f.cause) continue;
    const key = `${f.ruleId}\0${f.cause.key}`;
    const group = groups.get(key);
    if (group) group.push(f);
    else groups.set(key, [f]);
  }
  const out: Finding[] = [];
  const done = new Set<string>();
  for (const f of findings) {
    const { cause, ...finding } = f;
    if (!cause) {
      out.push(finding);
      continue;
    }
    const key = `${f.ruleId}\0${cause.key}`;
    if (done.has(key)) continue;
    done.add(key);
    const group = groups.get(key)!;
    if (group.length === 1) {
      out.push(finding);
      continue;
    }
    const objects = [...new Set(group.map(g => g.object))];
    const places = [...new Set(group.map(g => g.cause!.where).filter((w): w is string => w !== undefined))];
    out.push({
      ...finding,
      path: commonPath(group.map(g => g.path)),
      object: `${objects.length} objects: ${objects.join(', ')}`,
      message: places.length > 0 ? `${cause.message}, written in ${places.join(', ')}` : cause.message,
    });
  }
  return out;
}

/** The longest construct path all `paths` start with (whole segments). */
function commonPath(paths: readonly string[]): string {
  let common = paths[0].split('/');
  for (const p of paths.slice(1)) {
    const parts = p.split('/');
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  return common.join('/') || '<app>';
}
