import { Criticality } from '../lib';

/** One service of the reference platform, as data. */
export interface ServiceSpec {
  readonly name: string;
  readonly namespace: string;
  readonly tier: Criticality;
  readonly version: string;
  /** Services it calls; `?` suffix = degrades gracefully without it (fallback). */
  readonly calls?: readonly string[];
  /** External endpoints it calls. */
  readonly external?: readonly string[];
  readonly entryPoint?: boolean;
}

/** External dependencies of the case study's graph. */
export const EXTERNAL_ENDPOINTS = {
  'identity-provider': { hosts: ['login.identity-provider.example.com'], availability: 0.9995 },
  'payment-provider': { hosts: ['api.payment-provider.example.com'], availability: 0.9995 },
  'model-store': { hosts: ['s3.amazonaws.com', '*.s3.amazonaws.com'], availability: 0.9999 },
} as const;

/**
 * The case study's service graph (section 1, "Dependency Graph Structure", and the service
 * dependency and reliability table for the tiers). Databases, caches and the message queue
 * join the graph as their constructs land.
 */
export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'api-gateway',
    namespace: 'edge',
    tier: Criticality.CRITICAL,
    version: '3.2.0',
    entryPoint: true,
    calls: ['auth-service', 'product-service', 'order-service', 'recommendation-service?'],
  },
  { name: 'auth-service', namespace: 'identity', tier: Criticality.CRITICAL, version: '2.8.1', external: ['identity-provider'] },
  { name: 'product-service', namespace: 'catalog', tier: Criticality.HIGH, version: '4.1.3', calls: ['inventory-service', 'pricing-service'] },
  { name: 'inventory-service', namespace: 'catalog', tier: Criticality.HIGH, version: '1.9.0' },
  { name: 'pricing-service', namespace: 'catalog', tier: Criticality.HIGH, version: '1.4.2', calls: ['configuration-service'] },
  { name: 'configuration-service', namespace: 'platform-config', tier: Criticality.HIGH, version: '1.1.0' },
  {
    name: 'order-service',
    namespace: 'orders',
    tier: Criticality.CRITICAL,
    version: '1.2.3',
    calls: ['product-service', 'inventory-service', 'payment-service', 'notification-service?'],
  },
  { name: 'payment-service', namespace: 'payments', tier: Criticality.CRITICAL, version: '5.0.2', external: ['payment-provider'] },
  { name: 'notification-service', namespace: 'messaging', tier: Criticality.MEDIUM, version: '2.3.0' },
  { name: 'recommendation-service', namespace: 'recommendations', tier: Criticality.LOW, version: '0.9.4', calls: ['ml-model-service'] },
  { name: 'ml-model-service', namespace: 'recommendations', tier: Criticality.LOW, version: '0.7.1', external: ['model-store'] },
];

/**
 * The registry host the reference images come from (a placeholder: `npm run synth` renders with it;
 * the Pulumi program takes the real one from `nines:registry` and refuses this one).
 */
export const REGISTRY_HOST = 'registry.example.com';
/** The container registry the reference services' images come from. */
export const REGISTRY = `${REGISTRY_HOST}/shop`;

/** The case study's PostgreSQL clusters (section 2.3, Patroni) and the services that use them. */
export interface DatabaseSpec {
  readonly name: string;
  readonly namespace: string;
  readonly storage: string;
  readonly callers: readonly string[];
  /** Callers reach the database through a PgBouncer pooler (transaction pooling). */
  readonly pooler?: boolean;
}

export const DATABASES: readonly DatabaseSpec[] = [
  { name: 'orders-db', namespace: 'orders', storage: '100Gi', callers: ['order-service', 'payment-service'], pooler: true },
  { name: 'inventory-db', namespace: 'catalog', storage: '50Gi', callers: ['inventory-service'] },
];

/** Patroni 3.0 + PostgreSQL 15 + WAL-G + python3, with uid 10001 in /etc/passwd. */
export const PATRONI_IMAGE = `${REGISTRY_HOST}/platform/patroni:3.0.4-pg15`;
