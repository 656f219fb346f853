import * as fc from 'fast-check';
import { built as recorded, regionChart, synth } from './helpers';
import { Checks, ValidationError } from '../../lib';
import { RedisSentinel } from '../../lib/k8s/redis-sentinel';
import { validateAll } from '../util/schema';

const ZONES = ['z-a', 'z-b', 'z-c', 'z-d', 'z-e'];

/** Mostly valid values, sometimes a bad one: both outcomes must occur often. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 8 }, { arbitrary: bad, weight: 1 });
const props = fc.record({
  replicas: mostly(fc.integer({ min: 1, max: 5 }), fc.constant(0)),
  sentinels: mostly(fc.integer({ min: 3, max: 7 }), fc.integer({ min: 1, max: 2 })),
  quorum: mostly(fc.constant(undefined), fc.integer({ min: 0, max: 8 })),
  zoneCount: mostly(fc.integer({ min: 3, max: 5 }), fc.integer({ min: 1, max: 2 })),
  minReplicasToWrite: mostly(fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }), fc.integer({ min: 2, max: 6 })),
  maxmemoryPercent: mostly(fc.option(fc.integer({ min: 10, max: 90 }), { nil: undefined }), fc.constantFrom(5, 95)),
});

describe('RedisSentinel over random topologies', () => {
  test('a clean synth honouring every invariant, or one ValidationError naming the broken ones', () => {
    let built = 0;
    let rejected = 0;
    fc.assert(fc.property(props, p => {
      const { app, chart } = regionChart();
      let cache: RedisSentinel;
      try {
        cache = recorded(() => new RedisSentinel(chart, 'cache', {
          namespace: 'ns',
          passwordSecret: { name: 'pw' },
          replicas: p.replicas,
          sentinels: p.sentinels,
          quorum: p.quorum,
          zones: ZONES.slice(0, p.zoneCount),
          minReplicasToWrite: p.minReplicasToWrite,
          maxmemoryPercent: p.maxmemoryPercent,
        }));
      } catch (e) {
        rejected++;
        expect(e).toBeInstanceOf(ValidationError);
        const err = e as ValidationError;
        const named = new Set(err.problems.map(x => x.prop));
        // Each broken invariant is named.
        if (p.replicas < 1) expect(named).toContain('replicas');
        if (p.sentinels < 3) expect(named).toContain('sentinels');
        if (p.zoneCount < 2) expect(named).toContain('zones');
        if (p.sentinels >= 3 && p.quorum !== undefined && (p.quorum < Math.floor(p.sentinels / 2) + 1 || p.quorum >= p.sentinels)) {
          expect(named).toContain('quorum');
        }
        expect(chart.node.children).toHaveLength(0);
        return;
      }
      built++;
      // Every invariant holds for what was built.
      const majority = Math.floor(cache.sentinels / 2) + 1;
      expect(cache.sentinels).toBeGreaterThanOrEqual(3);
      expect(cache.quorum).toBeGreaterThanOrEqual(majority);
      expect(cache.quorum).toBeLessThan(cache.sentinels);
      expect(cache.replicas).toBeGreaterThanOrEqual(1);
      expect(cache.zones.length).toBeGreaterThanOrEqual(2);
      expect(Math.ceil(cache.sentinels / cache.zones.length)).toBeLessThan(majority);
      expect(cache.sentinelMaxUnavailable).toBeGreaterThanOrEqual(1);
      expect(cache.sentinels - cache.sentinelMaxUnavailable).toBeGreaterThanOrEqual(cache.quorum);
      const objs = synth(chart);
      expect(Checks.of(app).lastReport!.findings).toEqual([]);
      expect(validateAll(objs)).toEqual([]);
      const sentinelSts = objs.find(o => o.kind === 'StatefulSet' && o.metadata.name === 'cache-sentinel');
      expect(sentinelSts.spec.replicas).toBe(cache.sentinels);
    }), { numRuns: 120, seed: 4711 });
    expect(built).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(10);
  });
});
