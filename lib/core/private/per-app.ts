import type { IConstruct } from 'constructs';

/**
 * State kept once per app (the root of a construct tree): created on first use and dropped with
 * the app (a WeakMap keyed by the root), so two apps in one process never share it. The checks,
 * the app's recorded problems, the service graph and the declarations the check pass reads
 * (provided objects, declared flows, meshed namespaces) each keep theirs in one.
 * @internal
 */
export class PerApp<T> {
  private readonly byRoot = new WeakMap<IConstruct, T>();

  constructor(private readonly create: (root: IConstruct) => T) {}

  /** The state of the app `scope` belongs to, created on first use. */
  public of(scope: IConstruct): T {
    const root = scope.node.root;
    let state = this.byRoot.get(root);
    if (state === undefined) {
      state = this.create(root);
      this.byRoot.set(root, state);
    }
    return state;
  }

  /** The state of the app `scope` belongs to, or undefined when nothing created it yet. */
  public peek(scope: IConstruct): T | undefined {
    return this.byRoot.get(scope.node.root);
  }
}
