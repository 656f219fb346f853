import * as fs from 'fs';
import * as path from 'path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { installMocks, settle, valueOf } from './mocks';

const mocks = installMocks();

test('stacks/pulumi/index.ts (the `pulumi up` entry) runs Pulumi.staging.yaml under mocks and exports per-region outputs', async () => {
  const config = parse(fs.readFileSync(path.join(__dirname, '..', '..', 'Pulumi.staging.yaml'), 'utf8')).config;
  for (const [k, v] of Object.entries(config)) pulumi.runtime.setConfig(k, typeof v === 'string' ? v : JSON.stringify(v));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const entry = require('../../stacks/pulumi/index');
  await settle(mocks, ...Object.values(entry.clusterNames as Record<string, pulumi.Output<string>>));
  expect(Object.keys(entry.cidrPlans)).toEqual(['us-east-1']);
  expect(await valueOf(entry.clusterNames['us-east-1'])).toBe('staging-us-east-1');
  expect(await valueOf(entry.backupBuckets['us-east-1'])).toBe('nines-staging-us-east-1-db-backup');
  expect(entry.healthCheckIds).toBeUndefined();
  // The region's entry point (its ingress gateway NLB) is a stack output even without DNS.
  expect(await valueOf(entry.entryPoints['us-east-1'])).toBe('us-east-1-istio-ingressgateway-service.elb.amazonaws.com');
  expect(mocks.ofType('kubernetes:helm.sh/v3:Release')).toHaveLength(10);
  expect(mocks.ofType('pulumi:providers:aws').map(p => p.inputs.region)).toEqual(['us-east-1']);
  expect(mocks.ofType('aws:eks/nodeGroup:NodeGroup').map(n => n.inputs.scalingConfig))
    .toEqual(Array(3).fill({ minSize: 7, desiredSize: 7, maxSize: 14 })); // sized from the requests: one zone lost still fits
}, 120_000);
