import * as pulumi from '@pulumi/pulumi';

/** One resource registered under the mocks. */
export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly inputs: any;
  /** The provider reference (urn::id), when one was passed or inherited. */
  readonly provider?: string;
  /** The id of a read (`Resource.get`); undefined for a registration. */
  readonly id?: string;
}

const ACCOUNT = '123456789012';

/** Mocks that record every registration and return plausible computed outputs. */
export class RecordingMocks implements pulumi.runtime.Mocks {
  public readonly resources: Recorded[] = [];
  /**
   * The URNs each registration declared it depends on (`dependsOn`, and components expanded to their
   * children by the SDK), keyed `type::name`. Captured from the register request the mock monitor receives.
   */
  public readonly dependencies = new Map<string, readonly string[]>();

  public newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
    this.resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, id: args.id || undefined });
    const id = `${args.name}-id`;
    const arn = `arn:aws:${(args.type.split(':')[1] ?? 'x').split('/')[0]}::${ACCOUNT}:${args.name}`;
    const state: Record<string, any> = { ...args.inputs, arn };
    switch (args.type) {
      case 'aws:eks/cluster:Cluster':
        state.endpoint = `https://${args.name}.eks.example`;
        state.certificateAuthority = { data: 'Q0E=' };
        state.identities = [{ oidcs: [{ issuer: `https://oidc.eks.example/id/${args.name.toUpperCase()}` }] }];
        break;
      case 'aws:ec2/launchTemplate:LaunchTemplate':
        state.latestVersion = 1;
        break;
      case 'aws:eks/nodeGroup:NodeGroup':
        state.nodeGroupName = `${args.inputs.nodeGroupNamePrefix ?? ''}${args.name}`;
        break;
      case 'aws:s3/bucket:Bucket':
        state.bucket = args.inputs.bucket ?? `${args.inputs.bucketPrefix ?? ''}${args.name}`;
        break;
      case 'aws:kms/key:Key':
        state.keyId = `${args.name}-key`;
        break;
      case 'aws:route53/record:Record':
        state.fqdn = args.inputs.name;
        break;
      case 'kubernetes:core/v1:Service':
        if (args.id) {
          // A read of a Service the chart made: its NLB host name, as the AWS Load Balancer Controller publishes it.
          const [namespace, name] = args.id.split('/');
          state.metadata = { namespace, name };
          state.status = { loadBalancer: { ingress: [{ hostname: `${args.name}.elb.amazonaws.com` }] } };
        }
        break;
      default:
    }
    return { id, state };
  }

  public call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    return args.inputs;
  }

  /** Resources of one type (`aws:ec2/subnet:Subnet`). */
  public ofType(type: string): Recorded[] {
    return this.resources.filter(r => r.type === type);
  }

  /** The one resource with this logical name and type. */
  public one(type: string, name: string): Recorded {
    const found = this.resources.filter(r => r.type === type && r.name === name);
    if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
  }

  /** The logical names of the resources a registration depends on. */
  public dependsOn(type: string, name: string): string[] {
    return (this.dependencies.get(`${type}::${name}`) ?? []).map(urn => urn.split('::').pop()!);
  }

  public reset(): void {
    this.resources.length = 0;
    this.dependencies.clear();
  }
}

/** Installs recording mocks (not a preview, so every output resolves). */
export function installMocks(): RecordingMocks {
  const mocks = new RecordingMocks();
  void pulumi.runtime.setMocks(mocks, 'nines', 'test', false);
  // The Mocks interface does not see dependencies; the monitor's register request does.
  const monitor = pulumi.runtime.getMonitor() as any;
  for (const method of ['registerResource', 'readResource']) {
    const original = monitor[method].bind(monitor);
    monitor[method] = (req: any, callback: any) => {
      mocks.dependencies.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList());
      return original(req, callback);
    };
  }
  return mocks;
}

/** Resolves an output (test only). */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise(resolve => pulumi.output(o).apply(v => {
    resolve(v as T);
    return v;
  }));
}

/**
 * Waits until every registration has reached the mocks: the count must stay unchanged over
 * several event-loop turns after every given output resolved.
 */
export async function settle(mocks: RecordingMocks, ...outputs: pulumi.Input<unknown>[]): Promise<void> {
  await Promise.all(outputs.map(o => valueOf(o)));
  let last = -1;
  let stable = 0;
  while (stable < 10) {
    await new Promise(r => setTimeout(r, 1));
    if (mocks.resources.length === last) {stable++;} else {
      stable = 0;
      last = mocks.resources.length;
    }
  }
}
