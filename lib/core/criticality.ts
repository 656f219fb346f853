/**
 * Criticality tiers, from the case study's service dependency and reliability table
 * (CRITICAL: api-gateway, auth, order, payment; HIGH: product, inventory; MEDIUM: notification;
 * LOW: recommendation). A tier drives a service's defaults: replicas, autoscaling bounds,
 * disruption budget, scheduling priority and (later) alert severities.
 */
export enum Criticality {
  /** Failure stops user requests or revenue: all requests, orders or payments fail. */
  CRITICAL = 'critical',
  /** Failure breaks a major feature (browse, stock visibility). */
  HIGH = 'high',
  /** Failure delays a non-interactive function (notifications). */
  MEDIUM = 'medium',
  /** Failure degrades gracefully (recommendations). */
  LOW = 'low',
}

/** The defaults a tier implies. */
export interface TierDefaults {
  /** Replicas (and the autoscaler's minimum). */
  readonly replicas: number;
  /** The autoscaler's maximum. */
  readonly maxReplicas: number;
  /** Whether replicas must cover every zone (replicas >= zones). */
  readonly replicasCoverZones: boolean;
  /** The PriorityClass the tier's pods run with. */
  readonly priorityClassName: string;
  /** The PriorityClass value. */
  readonly priority: number;
  /** Rank for comparing tiers: higher is more critical. */
  readonly rank: number;
}

const DEFAULTS: Record<Criticality, TierDefaults> = {
  [Criticality.CRITICAL]: { replicas: 3, maxReplicas: 30, replicasCoverZones: true, priorityClassName: 'nines-critical', priority: 1_000_000, rank: 4 },
  [Criticality.HIGH]: { replicas: 3, maxReplicas: 20, replicasCoverZones: true, priorityClassName: 'nines-high', priority: 100_000, rank: 3 },
  [Criticality.MEDIUM]: { replicas: 2, maxReplicas: 10, replicasCoverZones: false, priorityClassName: 'nines-medium', priority: 10_000, rank: 2 },
  [Criticality.LOW]: { replicas: 2, maxReplicas: 5, replicasCoverZones: false, priorityClassName: 'nines-low', priority: 1_000, rank: 1 },
};

/** The defaults for a tier. */
export function tierDefaults(tier: Criticality): TierDefaults {
  return DEFAULTS[tier];
}

/** Every tier, most critical first. */
export const ALL_TIERS: readonly Criticality[] = [Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM, Criticality.LOW];

/** True when `tier` is a known tier. */
export function isCriticality(tier: unknown): tier is Criticality {
  return typeof tier === 'string' && (ALL_TIERS as readonly string[]).includes(tier);
}
