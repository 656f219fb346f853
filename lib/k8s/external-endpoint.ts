import { Construct } from 'constructs';
import { notBuilt } from '../core/app-problems';
import { cidrListProblems } from '../core/cidr';
import { Problems } from '../core/errors';
import { LABELS, MANAGED_BY, isDnsLabel } from '../core/labels';
import { IstioServiceEntry } from './crds/istio';
import { DependencyFacts, DependencyKind, IDependable, NetworkPeer } from './dependency';
import { typedProps, withTypeProblems } from '../core/prop-types';
import { successThresholdProblems } from '../reliability/error-budget';

/** Props of an {@link ExternalEndpoint}. */
export interface ExternalEndpointProps {
  /** Hostnames, e.g. `['api.payments.example.com']`. */
  readonly hosts: readonly string[];
  /** Namespace holding the ServiceEntry. */
  readonly namespace: string;
  /** TLS ports. @default [443] */
  readonly ports?: readonly number[];
  /**
   * CIDRs the hosts resolve into, when known, for NetworkPolicy egress.
   * @default - any public address (0.0.0.0/0 minus RFC 1918, link-local and CGNAT ranges), on the declared ports only
   */
  readonly cidrs?: readonly string[];
  /**
   * Availability the provider commits to (for the reliability report), e.g. 0.9995.
   * @default 0.999
   */
  readonly availability?: number;
}

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'];

/**
 * A dependency outside the cluster (identity provider, payment provider API, model store):
 * an Istio ServiceEntry registering its hosts with the mesh, so sidecars in REGISTRY_ONLY mode
 * reach exactly the endpoints declared, and egress rules for the services that depend on it.
 */
export class ExternalEndpoint extends Construct implements IDependable {
  public readonly name!: string;
  public readonly hosts!: readonly string[];
  public readonly namespace!: string;
  public readonly ports!: readonly number[];
  public readonly availability!: number;
  private readonly cidrs?: readonly string[];

  constructor(scope: Construct, id: string, given: ExternalEndpointProps) {
    super(scope, id);
    // Values of the wrong runtime type are problems, read as unset, so the other props are still checked.
    const { props, problems: typeProblems } = typedProps(given, { hosts: ['string'], namespace: 'string', ports: ['number'], cidrs: ['string'], availability: 'number' });
    this.name = id;
    this.hosts = props.hosts;
    this.namespace = props.namespace;
    this.ports = props.ports ?? [443];
    this.availability = props.availability ?? 0.999;
    this.cidrs = props.cidrs;
    const problems = new Problems('ExternalEndpoint', this.node.path);
    problems.when(!isDnsLabel(id), 'id', id, 'is not a DNS label', 'use lower-case letters, digits and "-"');
    problems.when(!this.hosts || this.hosts.length === 0, 'hosts', this.hosts, 'is empty', 'list the hostnames the dependency is reached at');
    for (const h of this.hosts ?? []) {
      problems.when(!/^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/.test(h), 'hosts', h, 'is not a DNS hostname', 'use a name such as "api.example.com"');
    }
    problems.when(!isDnsLabel(this.namespace), 'namespace', this.namespace, 'is not a namespace name', 'use lower-case letters, digits and "-"');
    for (const p of this.ports) problems.when(!Number.isInteger(p) || p < 1 || p > 65535, 'ports', p, 'is not a port number', 'use e.g. 443');
    problems.addAll(successThresholdProblems('availability', this.availability, 'fraction', 0.9995));
    problems.addAll(cidrListProblems('cidrs', this.cidrs ?? [], '203.0.113.0/24', { ipv6: true }));
    const all = withTypeProblems(typeProblems, problems.all);
    if (all.length > 0) return notBuilt(this, 'ExternalEndpoint', all);

    new IstioServiceEntry(this, 'Resource', {
      metadata: { name: id, namespace: this.namespace, labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.name]: id } },
      spec: {
        hosts: this.hosts,
        location: 'MESH_EXTERNAL',
        resolution: 'DNS',
        ports: this.ports.map(p => ({ number: p, name: `tls-${p}`, protocol: 'TLS' })),
        exportTo: ['*'],
      },
    });
  }

  public get dependencyFacts(): DependencyFacts {
    return { id: `external/${this.name}`, kind: DependencyKind.EXTERNAL, replicas: 1, zones: 1, automaticFailover: false };
  }

  public egressPeers(): readonly NetworkPeer[] {
    const ports = this.ports.map(port => ({ port, protocol: 'TCP' as const }));
    return this.cidrs
      ? [{ cidrs: this.cidrs, ports }]
      : [{ cidrs: ['0.0.0.0/0'], exceptCidrs: PRIVATE_RANGES, ports }];
  }

  public meshHosts(): readonly string[] {
    return this.hosts.map(h => `${this.namespace}/${h}`);
  }
}
