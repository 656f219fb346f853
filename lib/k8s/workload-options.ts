/**
 * Value types shared by the workload constructs: probes, resources, shutdown, security.
 * Defaults are the case study's (sections 2.2 and 4.1).
 */
import { Duration } from 'cdk8s';
import { Problem } from '../core/errors';
import { PropType, PropTypes } from '../core/prop-types';
import { parseQuantity, quantityFix } from '../core/quantity';

/** A duration as a user would type it in a manifest: `"15s"`, `"500ms"`. */
export function formatDuration(d: Duration): string {
  const ms = d.toMilliseconds();
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Timing of a probe. */
export interface ProbeTiming {
  /** How often to probe. Must be >= 5 s (the case study: 1 s is a probe storm). */
  readonly period?: Duration;
  /** How long a probe may take. Must be shorter than the period. */
  readonly timeout?: Duration;
  /** Consecutive failures before acting. */
  readonly failureThreshold?: number;
  /**
   * Delay after container start before the first probe.
   * @default Duration.seconds(0)
   */
  readonly initialDelay?: Duration;
}

/** Kind of check a probe makes. */
export type ProbeCheck = { readonly kind: 'http'; readonly path: string; readonly port: string | number } | { readonly kind: 'tcp'; readonly port: string | number };

/**
 * A health probe. Create with {@link Probe.http} or {@link Probe.tcp}; unset timings take the
 * defaults of the probe's role (startup, liveness or readiness).
 */
export class Probe {
  /** An HTTP GET probe (2xx/3xx is healthy). `port` defaults to the container's `http` port. */
  public static http(path: string, timing: ProbeTiming & { readonly port?: string | number } = {}): Probe {
    return new Probe({ kind: 'http', path, port: timing.port ?? 'http' }, timing);
  }

  /** A TCP connect probe (use only where no HTTP health endpoint exists). */
  public static tcp(port: string | number, timing: ProbeTiming = {}): Probe {
    return new Probe({ kind: 'tcp', port }, timing);
  }

  private constructor(public readonly check: ProbeCheck, public readonly timing: ProbeTiming) {}

  /** Fills unset timings from `defaults`. */
  public withDefaults(defaults: Required<ProbeTiming>): ResolvedProbe {
    return {
      check: this.check,
      period: this.timing.period ?? defaults.period,
      timeout: this.timing.timeout ?? defaults.timeout,
      failureThreshold: this.timing.failureThreshold ?? defaults.failureThreshold,
      initialDelay: this.timing.initialDelay ?? defaults.initialDelay,
    };
  }
}

/** A probe with every timing resolved. */
export interface ResolvedProbe {
  readonly check: ProbeCheck;
  readonly period: Duration;
  readonly timeout: Duration;
  readonly failureThreshold: number;
  readonly initialDelay: Duration;
}

/** Probe defaults by role (the case study's comprehensive Deployment, section 2.2). */
export const PROBE_DEFAULTS = {
  startup: { path: '/health/startup', period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 30, initialDelay: Duration.seconds(0) },
  liveness: { path: '/health/live', period: Duration.seconds(10), timeout: Duration.seconds(5), failureThreshold: 3, initialDelay: Duration.seconds(30) },
  readiness: { path: '/health/ready', period: Duration.seconds(5), timeout: Duration.seconds(3), failureThreshold: 2, initialDelay: Duration.seconds(10) },
} as const;

/** Validates one resolved probe; `role` decides which rules apply. */
export function probeProblems(prop: string, role: 'startup' | 'liveness' | 'readiness', p: ResolvedProbe): Problem[] {
  const out: Problem[] = [];
  const period = p.period.toSeconds();
  const timeout = p.timeout.toSeconds();
  if (!(period >= 5)) {
    out.push({ prop: `${prop}.period`, value: formatDuration(p.period), why: 'is shorter than 5 s, a probe storm that restarts pods on a single slow response', fix: 'use a period of 5-10 s' });
  }
  if (!(timeout >= 1) || timeout >= period) {
    out.push({ prop: `${prop}.timeout`, value: formatDuration(p.timeout), why: `must be at least 1 s and shorter than the period (${formatDuration(p.period)})`, fix: 'use a timeout shorter than the period, e.g. period 10 s and timeout 5 s' });
  }
  const minFailures = role === 'readiness' ? 1 : 2;
  if (!Number.isInteger(p.failureThreshold) || p.failureThreshold < minFailures) {
    out.push({ prop: `${prop}.failureThreshold`, value: p.failureThreshold, why: role === 'liveness' ? 'restarts a pod on a single false positive' : `must be an integer >= ${minFailures}`, fix: role === 'liveness' ? 'use 2-3 (the case study recommends 2-3 for 99.95%)' : `use an integer >= ${minFailures}` });
  }
  if (p.check.kind === 'http' && !p.check.path.startsWith('/')) {
    out.push({ prop: `${prop}.path`, value: p.check.path, why: 'is not an absolute path', fix: 'start the path with "/", e.g. "/health/ready"' });
  }
  return out;
}

/** Renders a resolved probe as a Kubernetes probe object (JSON field names). */
export function renderProbe(p: ResolvedProbe): Record<string, unknown> {
  const check = p.check.kind === 'http'
    ? { httpGet: { path: p.check.path, port: p.check.port, scheme: 'HTTP' } }
    : { tcpSocket: { port: p.check.port } };
  return {
    ...check,
    initialDelaySeconds: p.initialDelay.toSeconds(),
    periodSeconds: p.period.toSeconds(),
    timeoutSeconds: p.timeout.toSeconds(),
    failureThreshold: p.failureThreshold,
    successThreshold: 1,
  };
}

/** CPU, memory and ephemeral-storage requests and limits, as Kubernetes quantities. */
export interface ContainerResources {
  /** CPU request and limit. `limit: false` removes the CPU limit (no throttling). */
  readonly cpu?: { readonly request?: string; readonly limit?: string | false };
  /** Memory request and limit (the limit is always set: an unbounded leak takes the node). */
  readonly memory?: { readonly request?: string; readonly limit?: string };
  /** Ephemeral storage request and limit (a runaway log cannot evict the node's other pods). */
  readonly ephemeralStorage?: { readonly request?: string; readonly limit?: string };
}

/** Named size presets. MEDIUM is the case study's order-service sizing. */
export const ResourcePresets = {
  SMALL: { cpu: { request: '250m', limit: '500m' }, memory: { request: '256Mi', limit: '512Mi' }, ephemeralStorage: { request: '128Mi', limit: '512Mi' } },
  MEDIUM: { cpu: { request: '500m', limit: '1000m' }, memory: { request: '512Mi', limit: '1Gi' }, ephemeralStorage: { request: '256Mi', limit: '1Gi' } },
  LARGE: { cpu: { request: '1', limit: '2' }, memory: { request: '1Gi', limit: '2Gi' }, ephemeralStorage: { request: '512Mi', limit: '2Gi' } },
} as const satisfies Record<string, ContainerResources>;

/** Resources with every field resolved (`cpuLimit` undefined when removed). */
export interface ResolvedResources {
  readonly cpuRequest: string;
  readonly cpuLimit?: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
  readonly ephemeralRequest: string;
  readonly ephemeralLimit: string;
}

/** Merges `given` over `base` (MEDIUM by default). */
export function resolveResources(given: ContainerResources | undefined, base: ContainerResources = ResourcePresets.MEDIUM): ResolvedResources {
  const cpuLimit = given?.cpu?.limit ?? base.cpu!.limit;
  return {
    cpuRequest: given?.cpu?.request ?? base.cpu!.request!,
    cpuLimit: cpuLimit === false ? undefined : cpuLimit,
    memoryRequest: given?.memory?.request ?? base.memory!.request!,
    memoryLimit: given?.memory?.limit ?? base.memory!.limit!,
    ephemeralRequest: given?.ephemeralStorage?.request ?? base.ephemeralStorage!.request!,
    ephemeralLimit: given?.ephemeralStorage?.limit ?? base.ephemeralStorage!.limit!,
  };
}

/** Validates resolved resources: quantities parse, requests <= limits. */
export function resourceProblems(prop: string, r: ResolvedResources): Problem[] {
  const out: Problem[] = [];
  const pairs: Array<[string, string, string | undefined, 'cpu' | 'memory' | 'storage']> = [
    ['cpu', r.cpuRequest, r.cpuLimit, 'cpu'],
    ['memory', r.memoryRequest, r.memoryLimit, 'memory'],
    ['ephemeralStorage', r.ephemeralRequest, r.ephemeralLimit, 'storage'],
  ];
  for (const [name, request, limit, kind] of pairs) {
    const req = parseQuantity(request);
    const lim = limit === undefined ? undefined : parseQuantity(limit);
    if (req === undefined || req <= 0) out.push({ prop: `${prop}.${name}.request`, value: request, why: 'is not a positive Kubernetes quantity', fix: quantityFix(kind) });
    if (limit !== undefined && (lim === undefined || lim <= 0)) out.push({ prop: `${prop}.${name}.limit`, value: limit, why: 'is not a positive Kubernetes quantity', fix: quantityFix(kind) });
    if (req !== undefined && lim !== undefined && req > lim) {
      out.push({ prop: `${prop}.${name}.request`, value: request, why: `is greater than the limit (${JSON.stringify(limit)}), which Kubernetes rejects`, fix: `lower the request to at most ${limit} or raise the limit` });
    }
  }
  return out;
}

/** Renders resolved resources as a Kubernetes `resources` object. */
export function renderResources(r: ResolvedResources): { requests: Record<string, string>; limits: Record<string, string> } {
  const limits: Record<string, string> = { 'memory': r.memoryLimit, 'ephemeral-storage': r.ephemeralLimit };
  if (r.cpuLimit !== undefined) limits.cpu = r.cpuLimit;
  return {
    requests: { 'cpu': r.cpuRequest, 'memory': r.memoryRequest, 'ephemeral-storage': r.ephemeralRequest },
    limits,
  };
}

/** What a container runs, when not what its image says: the entrypoint and its arguments. */
export interface ContainerCommand {
  /**
   * Container entrypoint.
   * @default - the image's
   */
  readonly command?: readonly string[];
  /**
   * Container arguments.
   * @default - the image's
   */
  readonly args?: readonly string[];
}

/** The non-root identity pods run as. */
export interface PodIdentity {
  /**
   * UID (>= 10000, clear of host users).
   * @default 10001
   */
  readonly user?: number;
  /**
   * GID (>= 10000).
   * @default 10001
   */
  readonly group?: number;
  /**
   * fsGroup owning mounted volumes (>= 10000).
   * @default 10001
   */
  readonly fsGroup?: number;
}

/** Validates a resolved identity. */
export function identityProblems(prop: string, id: Required<PodIdentity>): Problem[] {
  const out: Problem[] = [];
  for (const k of ['user', 'group', 'fsGroup'] as const) {
    const v = id[k];
    if (!Number.isInteger(v) || v < 10000 || v > 2147483647) {
      out.push({ prop: `${prop}.${k}`, value: v, why: 'must be an integer >= 10000 so it never maps to a host user or root', fix: 'use e.g. 10001' });
    }
  }
  return out;
}

/** Image references must be pinned: a tag other than `latest`, or a digest. */
export function imageProblems(prop: string, image: unknown): Problem[] {
  if (typeof image !== 'string' || image.trim() === '' || /\s/.test(image)) {
    return [{ prop, value: image, why: 'is not an image reference', fix: 'use "registry/name:tag" or "registry/name@sha256:<digest>"' }];
  }
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return [];
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? image.slice(colon + 1) : '';
  if (tag === '' || tag === 'latest') {
    return [{ prop, value: image, why: tag === '' ? 'has no tag, so it floats to "latest"' : 'uses the mutable "latest" tag, so a restart can run different code', fix: `pin an immutable tag (e.g. "${colon >= 0 ? image.slice(0, colon) : image}:1.4.2") or a digest` }];
  }
  return [];
}

/** Runtime types of {@link ContainerResources} (props that may have come through a cast). */
export const RESOURCES_TYPES: PropType = {
  cpu: { request: 'string', limit: { anyOf: ['string', 'boolean'] } },
  memory: { request: 'string', limit: 'string' },
  ephemeralStorage: { request: 'string', limit: 'string' },
};

/** Runtime types of {@link PodIdentity}. */
export const IDENTITY_TYPES: PropType = { user: 'number', group: 'number', fsGroup: 'number' };

/**
 * Runtime types of the props every workload has (the fields `PlatformWorkload` declares:
 * namespace, name, team, image, zones, identity), spread first into each workload's prop types.
 */
export const WORKLOAD_PROP_TYPES: PropTypes = {
  namespace: 'string',
  name: 'string',
  team: 'string',
  image: 'string',
  zones: ['string'],
  identity: IDENTITY_TYPES,
};
