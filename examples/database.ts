/**
 * A PostgreSQL cluster with Patroni (3 members over 3 zones, synchronous replication, an etcd
 * DCS, WAL-G backups to S3) and two services depending on it. Synthesize with `cdk8s synth --app
 * 'npx ts-node database.ts'` in a project that installed the package (README, Install); writes
 * dist/.
 */
import { App } from 'cdk8s';
import { Bulkhead, Checks, Criticality, PatroniCluster, Platform, PriorityClasses, RegionChart, ResilientService } from '@nines/constructs/k8s';

export function build(outdir?: string): App {
  const platform = Platform.fromDescription({
    environment: 'staging',
    regions: [{ name: 'eu-west-1', zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], vpcCidr: '10.30.0.0/16' }],
  });
  const app = new App({ outdir });
  const chart = new RegionChart(app, 'shop', { region: platform.region('eu-west-1') });
  new PriorityClasses(chart, 'priority');
  for (const ns of ['orders', 'payments']) new Bulkhead(chart, ns);

  // The bucket and role come from the AWS side (one bucket per region, one role per cluster).
  const ordersDb = new PatroniCluster(chart, 'orders-db', {
    namespace: 'orders',
    image: 'registry.example.com/platform/patroni:3.0.4-pg15',
    credentials: { secretName: 'orders-db-credentials' },
    storage: { size: '100Gi' },
    postgresParameters: { maxConnections: 200, sharedBuffers: '512MB' },
    backup: { bucket: 'nines-staging-backups-eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/orders-db-backup' },
  });
  // The credentials Secret is created outside the app (e.g. by External Secrets): declared, so
  // the checks know the pods can start.
  Checks.of(app).provide({ secrets: [`${ordersDb.namespace}/${ordersDb.credentials.secretName}`] });
  const order = new ResilientService(chart, 'order-service', {
    image: 'registry.example.com/shop/order-service:1.2.3',
    tier: Criticality.CRITICAL,
    namespace: 'orders',
    env: { DATABASE_HOST: ordersDb.host, DATABASE_READ_HOST: ordersDb.readOnlyHost },
  });
  const payment = new ResilientService(chart, 'payment-service', {
    image: 'registry.example.com/shop/payment-service:5.0.2',
    tier: Criticality.CRITICAL,
    namespace: 'payments',
  });
  // Egress to PostgreSQL (5432) only; the cluster's NetworkPolicy admits exactly these callers.
  order.dependOn(ordersDb);
  payment.dependOn(ordersDb);
  return app;
}

if (require.main === module) build().synth();
