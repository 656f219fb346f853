import { IConstruct } from 'constructs';
import { PlatformSettings, Region, platformSettingsOf } from '../../core/platform';
import { RegionChart } from '../region-chart';

/**
 * What a construct reads from the platform it is built in: the enclosing RegionChart's region
 * and platform, or the platform defaults when there is none. The one place a construct resolves
 * namespaces, the cluster domain, the Prometheus URL and the runbook base; never
 * `platform?.x ?? 'default'` at the use.
 */
export interface PlatformContext extends PlatformSettings {
  /** The region, when the scope is inside a RegionChart. */
  readonly region?: Region;
  /** The region's zones; `undefined` outside a RegionChart. */
  readonly zones?: readonly string[];
  /** The region's local IANA time zone, when the platform description gives one. */
  readonly timeZone?: string;
  /**
   * The environment (the `environment` label of chaos experiments and game days).
   * @default 'unknown' outside a RegionChart
   */
  readonly environment: string;
}

/** The environment a construct outside a RegionChart reports. */
export const UNKNOWN_ENVIRONMENT = 'unknown';

const DEFAULTS: PlatformContext = { ...platformSettingsOf(undefined), environment: UNKNOWN_ENVIRONMENT };

/** The platform context of `scope`. */
export function platformContext(scope: IConstruct): PlatformContext {
  const region = RegionChart.find(scope)?.region;
  if (!region) return DEFAULTS;
  const p = region.platform;
  return {
    meshNamespace: p.meshNamespace,
    monitoringNamespace: p.monitoringNamespace,
    chaosNamespace: p.chaosNamespace,
    flaggerNamespace: p.flaggerNamespace,
    clusterDomain: p.clusterDomain,
    kubernetesVersion: p.kubernetesVersion,
    mesh: p.mesh,
    clusterMetrics: p.clusterMetrics,
    externalMetrics: p.externalMetrics,
    runbookBaseUrl: p.runbookBaseUrl,
    capabilities: p.capabilities,
    prometheusUrl: p.prometheusUrl,
    region,
    zones: region.zones,
    timeZone: region.timeZone,
    environment: p.environment,
  };
}
