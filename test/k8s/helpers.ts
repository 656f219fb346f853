import { App, Testing } from 'cdk8s';
import { IConstruct } from 'constructs';
import { CheckReport, Checks, ninesClusterCapabilities, Platform, RegionChart } from '../../lib';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
/**
 * The test platform brings its own cluster: the library's AWS cluster plus the StorageClasses the
 * option tests name and a certificate issuer for the gateways' TLS Secrets (the capability contract).
 */
export const PLATFORM = Platform.fromDescription({
  environment: 'test',
  regions: [{ name: 'us-east-1', zones: ZONES }],
  capabilities: [
    ...ninesClusterCapabilities(ZONES, true).map(p => p.capability),
    'storage-class:gp3', 'storage-class:io2-encrypted', 'tls:certificate-issuer',
  ],
});

/** A fresh app with one RegionChart (3 zones); the check summary is silenced. */
export function regionChart(): { app: App; chart: RegionChart } {
  const app = Testing.app();
  const chart = new RegionChart(app, 'test', { region: PLATFORM.region('us-east-1') });
  Checks.of(app).log = () => {};
  withoutClusterObjects(app);
  return { app, chart };
}

/**
 * A unit test synthesizes one construct without the cluster objects around it (its namespace,
 * the tier PriorityClasses, its Secrets): NINES-REF-01 is suppressed for the test app, with that
 * reason. test/checks/references.test.ts tests the rule itself; examples/ and the reference
 * platform run it.
 */
export function withoutClusterObjects(app: IConstruct): void {
  Checks.suppress(app, 'NINES-REF-01', 'a unit-test app holds one construct, not the namespaces, PriorityClasses and Secrets of its cluster');
}

/** Synthesizes a chart (running the checks) and returns its objects. */
export function synth(chart: RegionChart): any[] {
  return Testing.synth(chart);
}

/** The one object of `kind` (and `name`, when given). */
export function find(objs: any[], kind: string, name?: string): any {
  const hits = objs.filter(o => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (hits.length !== 1) throw new Error(`expected one ${kind}${name ? ' ' + name : ''}, found ${hits.length}`);
  return hits[0];
}


export { built, errorOf } from '../util/errors';

/** A report's suppressions without the ones the test helpers add (NINES-REF-01). */
export function ownSuppressions(report: CheckReport | undefined): CheckReport['suppressed'] {
  return (report?.suppressed ?? []).filter(x => x.ruleId !== 'NINES-REF-01');
}
