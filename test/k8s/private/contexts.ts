/** Platform contexts the props resolvers are tested in: inside a three-zone region, and outside any. */
import { Platform, resolvePlatformSettings } from '../../../lib/core/platform';
import { PlatformContext, UNKNOWN_ENVIRONMENT } from '../../../lib/k8s/private/context';

const platform = Platform.fromDescription({
  environment: 'test',
  regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.10.0.0/16' }],
});
/** The test platform's one region (zones us-east-1a to c, VPC 10.10.0.0/16). */
export const region = platform.region('us-east-1');
/** The context of a construct inside the region's RegionChart. */
export const IN_REGION: PlatformContext = { ...resolvePlatformSettings(), environment: 'test', region, zones: region.zones };
/** The context of a construct outside any RegionChart. */
export const NOWHERE: PlatformContext = { ...resolvePlatformSettings(), environment: UNKNOWN_ENVIRONMENT };
