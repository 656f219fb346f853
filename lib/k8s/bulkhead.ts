import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { notBuilt } from '../core/app-problems';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel, isLabelValue } from '../core/labels';
import { parseQuantity, quantityFix } from '../core/quantity';
import { IstioPeerAuthentication } from './crds/istio';
import { declareNamespaceMesh } from './private/mesh';
import { typedProps, withTypeProblems } from '../core/prop-types';

/** Namespace-wide limits of a bulkhead. */
export interface BulkheadQuota {
  /** Sum of CPU requests. @default '40' */
  readonly requestsCpu?: string;
  /** Sum of memory requests. @default '80Gi' */
  readonly requestsMemory?: string;
  /** Sum of memory limits. @default '160Gi' */
  readonly limitsMemory?: string;
  /** Pods. @default 400 */
  readonly pods?: number;
}

/** Props of a {@link Bulkhead}. */
export interface BulkheadProps {
  /** Namespace name. @default - the construct id */
  readonly name?: string;
  /** Owning team (label). @default - the namespace name */
  readonly team?: string;
  /** ResourceQuota. @default - 40 CPU / 80Gi requested, 160Gi memory limits, 400 pods */
  readonly quota?: BulkheadQuota;
  /**
   * Join the mesh (sidecar injection, strict mTLS).
   * @default true
   */
  readonly mesh?: boolean;
}

/**
 * A namespace as a bulkhead (the case study, section 2.1: namespaces, resource quotas, pod
 * priority and network policies isolate failures): the Namespace with Pod Security Admission
 * `restricted` enforced, a ResourceQuota, a LimitRange giving containers without resources
 * sane defaults, a default-deny NetworkPolicy and strict mesh mTLS.
 */
export class Bulkhead extends Construct {
  public readonly name!: string;
  public readonly team!: string;
  public readonly quota!: Required<BulkheadQuota>;
  public readonly mesh!: boolean;
  /** The Namespace (`node.defaultChild`). */
  public readonly namespace!: ApiObject;
  public readonly resourceQuota!: ApiObject;
  public readonly limitRange!: ApiObject;
  public readonly defaultDeny!: ApiObject;

  constructor(scope: Construct, id: string, given: BulkheadProps = {}) {
    super(scope, id);
    // Values of the wrong runtime type are problems, read as unset, so the other props are still checked.
    const { props, problems: typeProblems } = typedProps(given, {
      name: 'string', team: 'string', mesh: 'boolean', quota: { requestsCpu: 'string', requestsMemory: 'string', limitsMemory: 'string', pods: 'number' },
    });
    this.name = props.name ?? id;
    this.team = props.team ?? this.name;
    this.mesh = props.mesh ?? true;
    this.quota = {
      requestsCpu: props.quota?.requestsCpu ?? '40',
      requestsMemory: props.quota?.requestsMemory ?? '80Gi',
      limitsMemory: props.quota?.limitsMemory ?? '160Gi',
      pods: props.quota?.pods ?? 400,
    };
    const problems = new Problems('Bulkhead', this.node.path);
    problems.when(!isDnsLabel(this.name), 'name', this.name, 'is not a namespace name', 'use lower-case letters, digits and "-"');
    problems.when(!isLabelValue(this.team), 'team', this.team, 'is not a valid label value', 'use letters, digits, "-", "_" or "."');
    problems.when(typeof this.mesh !== 'boolean', 'mesh', this.mesh, 'is not a boolean', 'use true (sidecar injection, strict mTLS) or false');
    problems.when(parseQuantity(this.quota.requestsCpu) === undefined, 'quota.requestsCpu', this.quota.requestsCpu, 'is not a CPU quantity', quantityFix('cpu'));
    for (const k of ['requestsMemory', 'limitsMemory'] as const) {
      problems.when(parseQuantity(this.quota[k]) === undefined, `quota.${k}`, this.quota[k], 'is not a byte quantity', quantityFix('memory'));
    }
    problems.when(!Number.isInteger(this.quota.pods) || this.quota.pods < 1, 'quota.pods', this.quota.pods, 'must be a positive integer', 'use e.g. 400');
    const all = withTypeProblems(typeProblems, problems.all);
    if (all.length > 0) return notBuilt(this, 'Bulkhead', all);
    declareNamespaceMesh(this, this.name, this.mesh);

    const labels = { [LABELS.managedBy]: MANAGED_BY, [LABELS.team]: this.team };
    this.namespace = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: this.name,
        labels: {
          ...labels,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'v1.28',
          ...(this.mesh ? { 'istio-injection': 'enabled' } : {}),
        },
      },
    });
    const meta = (name: string) => ({ name, namespace: this.name, labels });
    this.resourceQuota = new ApiObject(this, 'ResourceQuota', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta('bulkhead'),
      spec: { hard: { 'requests.cpu': this.quota.requestsCpu, 'requests.memory': this.quota.requestsMemory, 'limits.memory': this.quota.limitsMemory, 'pods': String(this.quota.pods) } },
    });
    this.limitRange = new ApiObject(this, 'LimitRange', {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta('bulkhead'),
      spec: {
        limits: [{
          type: 'Container',
          defaultRequest: { 'cpu': '100m', 'memory': '128Mi', 'ephemeral-storage': '64Mi' },
          default: { 'memory': '256Mi', 'ephemeral-storage': '512Mi' },
          max: { memory: '16Gi' },
        }],
      },
    });
    this.defaultDeny = new ApiObject(this, 'DefaultDeny', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    if (this.mesh) {
      new IstioPeerAuthentication(this, 'PeerAuthentication', { metadata: meta('default'), spec: { mtls: { mode: 'STRICT' } } });
    }
  }
}
