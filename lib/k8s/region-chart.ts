import { Chart, ChartProps } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { Checks } from '../checks/checks';
import { Region } from '../core/platform';

/** Props of a {@link RegionChart}. */
export interface RegionChartProps extends ChartProps {
  /** The region (from `Platform.fromDescription(...)`) whose zones the chart's workloads spread over. */
  readonly region: Region;
}

const REGION_CHART = Symbol.for('@nines/constructs.RegionChart');

/**
 * A chart bound to one region of the platform description. Constructs inside it read their
 * zones, mesh and monitoring namespaces from here, so no service retypes them. Creating one
 * turns on the synth-time checks for the whole app.
 */
export class RegionChart extends Chart {
  /**
   * True when `x` is a RegionChart. (`instanceof RegionChart` is true of every cdk8s `Chart`:
   * `Chart` answers `instanceof` for its subclasses with `Chart.isChart`.)
   */
  public static isRegionChart(x: unknown): x is RegionChart {
    return x !== null && typeof x === 'object' && REGION_CHART in x;
  }

  /** The nearest RegionChart at or above `scope`, if any. */
  public static find(scope: IConstruct): RegionChart | undefined {
    for (let c: IConstruct | undefined = scope; c; c = c.node.scope) {
      if (RegionChart.isRegionChart(c)) return c;
    }
    return undefined;
  }

  /** The region. */
  public readonly region: Region;

  constructor(scope: Construct, id: string, props: RegionChartProps) {
    super(scope, id, props);
    Object.defineProperty(this, REGION_CHART, { value: true });
    this.region = props.region;
    const checks = Checks.of(this.node.root);
    checks.zonesOf = c => RegionChart.find(c)?.region.zones.length;
    checks.platformOf = c => RegionChart.find(c)?.region.platform;
    checks.regionOf = c => RegionChart.find(c)?.region;
  }

  /**
   * Renders the chart as `Chart.toJson()` does, with the JSON the check pass of the synth in
   * progress already resolved when there is any (`Checks.renderChart`), so a synth resolves each
   * of the chart's objects once instead of twice.
   */
  public toJson(): any[] {
    return Checks.of(this).renderChart(this) ?? super.toJson();
  }
}
