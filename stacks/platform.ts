import { PlatformDescription } from '../lib';

/**
 * The reference platform's description: the one source of truth for both engines (cdk8s here,
 * Pulumi on the AWS side). Production runs in 4 regions with 3 zones each: the case study's
 * "4 regions, 12 availability zones". VPC CIDRs are disjoint across regions.
 */
export const PRODUCTION: PlatformDescription = {
  environment: 'production',
  regions: [
    // timeZone: local business hours, in which the chaos presets and game days run.
    { name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.10.0.0/16', timeZone: 'America/New_York' },
    { name: 'us-west-2', zones: ['us-west-2a', 'us-west-2b', 'us-west-2c'], vpcCidr: '10.20.0.0/16', timeZone: 'America/Los_Angeles' },
    { name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], vpcCidr: '10.30.0.0/16', timeZone: 'Europe/Dublin' },
    { name: 'ap-southeast-1', zones: ['ap-southeast-1a', 'ap-southeast-1b', 'ap-southeast-1c'], vpcCidr: '10.40.0.0/16', timeZone: 'Asia/Singapore' },
  ],
  // Where dist/runbooks/ is published: the stateful constructs' alerts link their pages under it.
  runbookBaseUrl: 'https://runbooks.example.com/shop',
  // The private zone the regions publish their internal endpoints in (the Thanos sidecars' NLBs):
  // a Route53 private hosted zone associated with every region's VPC (PrivateZone, lib/aws).
  internalZone: 'nines.internal',
};
