import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import { built as recorded, regionChart, synth } from './helpers';
import { Checks, Criticality, Probe, ResilientService, ValidationError } from '../../lib';
import { validateAll } from '../util/schema';

const tier = fc.constantFrom(Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM, Criticality.LOW);
const seconds = (min: number, max: number) => fc.integer({ min, max }).map(s => Duration.seconds(s));
/** Mostly valid values, sometimes a bad one: both outcomes must occur often. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
const cpu = mostly(fc.constantFrom('100m', '250m', '500m', '1', '2'), fc.constantFrom('1 core', '', '-1'));
const memory = mostly(fc.constantFrom('64Mi', '512Mi', '1Gi', '2Gi'), fc.constantFrom('1 GB', '512MB', 'lots'));
const probe = fc.record({
  path: mostly(fc.constantFrom('/health/live', '/health/ready', '/healthz'), fc.constant('health')),
  period: mostly(seconds(5, 20), seconds(1, 4)),
  timeout: mostly(seconds(1, 4), seconds(0, 12)),
  failureThreshold: mostly(fc.integer({ min: 2, max: 5 }), fc.integer({ min: 0, max: 1 })),
}).map(p => Probe.http(p.path, p));

const props = fc.record({
  image: mostly(fc.constantFrom('r/svc:1.0.0', 'registry.example.com:5000/team/svc:2.1'), fc.constantFrom('r/svc:latest', 'r/svc')),
  tier,
  scaling: fc.oneof(
    fc.record({
      autoscaling: fc.constant(false as const),
      replicas: mostly(fc.integer({ min: 3, max: 12 }), fc.integer({ min: 0, max: 2 })),
    }),
    fc.record({
      autoscaling: fc.record({
        minReplicas: mostly(fc.integer({ min: 3, max: 6 }), fc.integer({ min: 0, max: 2 })),
        maxReplicas: mostly(fc.integer({ min: 6, max: 40 }), fc.integer({ min: 0, max: 5 })),
      }, { requiredKeys: [] }),
    }),
  ),
  port: mostly(fc.constantFrom(8080, 3000), fc.constantFrom(9090, 0, 70000)),
  resources: fc.record({
    cpu: fc.record({ request: cpu, limit: fc.oneof(cpu, fc.constant(false as const)) }, { requiredKeys: [] }),
    memory: fc.record({ request: memory, limit: memory }, { requiredKeys: [] }),
  }, { requiredKeys: [] }),
  probes: fc.record({ liveness: probe, readiness: probe }, { requiredKeys: [] }),
  shutdown: fc.record({ drain: seconds(0, 20), gracePeriod: mostly(seconds(25, 60), seconds(1, 20)) }, { requiredKeys: [] }),
  disruption: mostly(fc.record({ maxUnavailable: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom('25%', '50%')) }), fc.oneof(fc.record({ minAvailable: fc.integer({ min: 0, max: 12 }) }), fc.record({ maxUnavailable: fc.constantFrom(0, '0%') }))),
}, { requiredKeys: ['image', 'tier'] });

describe('ResilientService over random props', () => {
  test('every outcome is a clean synth (zero check errors, schema-valid) or one ValidationError', () => {
    let built = 0;
    let rejected = 0;
    fc.assert(fc.property(props, p => {
      const { app, chart } = regionChart();
      let svc: ResilientService;
      try {
        const { scaling, ...rest } = p as any;
        svc = recorded(() => new ResilientService(chart, 'svc', { namespace: 'ns', ...rest, ...scaling }));
      } catch (e) {
        rejected++;
        expect(e).toBeInstanceOf(ValidationError);
        const err = e as ValidationError;
        expect(err.problems.length).toBeGreaterThan(0);
        expect(err.message.split('\n')[0]).toBe(`ResilientService 'test/svc': ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}:`);
        for (const line of err.message.split('\n').slice(1)) expect(line).toMatch(/^ - [\w.[\]-]+ \(.*\) .+; .+$/);
        expect(chart.node.children).toHaveLength(0);
        return;
      }
      built++;
      const objs = synth(chart);
      expect(Checks.of(app).lastReport!.findings.filter(f => f.severity === 'error')).toEqual([]);
      expect(validateAll(objs)).toEqual([]);
      expect(svc.minReplicas).toBeGreaterThanOrEqual(2);
    }), { numRuns: 150, seed: 4242 });
    // The generator must exercise both outcomes, or the property proves nothing.
    expect(built).toBeGreaterThan(5);
    expect(rejected).toBeGreaterThan(5);
  });
});
