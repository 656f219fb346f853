/*
 * Internal: Which namespaces of an app join the mesh (declared by {@link Bulkhead}), and how a
 * Prometheus outside the mesh scrapes pods behind a sidecar whose namespace enforces STRICT mTLS.
 *
 * Istio's documented way ("Prometheus: TLS settings"): Prometheus gets a sidecar only to obtain a
 * workload certificate. The sidecar intercepts nothing (`includeInboundPorts: ""`,
 * `includeOutboundIPRanges: ""`) and writes its certificate to a shared in-memory volume
 * (`OUTPUT_CERTS`); Prometheus mounts it and scrapes meshed targets over mutual TLS with it,
 * skipping the server name check (Prometheus does not know Istio's SPIFFE naming). Targets keep
 * STRICT mTLS; the scrape presents the identity of Prometheus's service account.
 * @see https://istio.io/latest/docs/ops/integrations/prometheus/#tls-settings
 * @see https://istio.io/latest/docs/reference/config/annotations/ (traffic.sidecar.istio.io/includeInboundPorts, includeOutboundIPRanges, sidecar.istio.io/userVolumeMount, proxy.istio.io/config)
 */
import { IConstruct } from 'constructs';
import { PerApp } from '../../core/private/per-app';

const MESHED = new PerApp(() => new Map<string, boolean>());

/** Records that namespace `name` of the app `scope` belongs to does (or does not) join the mesh. */
export function declareNamespaceMesh(scope: IConstruct, name: string, meshed: boolean): void {
  MESHED.of(scope).set(name, meshed);
}

/** Whether namespace `name` joins the mesh; `undefined` when the app does not declare it. */
export function namespaceMeshed(scope: IConstruct, name: string): boolean | undefined {
  return MESHED.peek(scope)?.get(name);
}

/** Where the Prometheus container reads the workload certificate its sidecar writes. */
export const PROMETHEUS_MESH_CERTS_DIR = '/etc/prom-certs';
/** Where the sidecar writes it (`OUTPUT_CERTS`). */
const SIDECAR_OUTPUT_CERTS_DIR = '/etc/istio-output-certs';
/** The shared in-memory volume. */
export const MESH_CERTS_VOLUME = 'istio-certs';

/** The TLS settings of a scrape of a meshed target, with the certificate of Prometheus's sidecar. */
export const ISTIO_MTLS_SCRAPE = {
  scheme: 'https' as const,
  tlsConfig: {
    caFile: `${PROMETHEUS_MESH_CERTS_DIR}/root-cert.pem`,
    certFile: `${PROMETHEUS_MESH_CERTS_DIR}/cert-chain.pem`,
    keyFile: `${PROMETHEUS_MESH_CERTS_DIR}/key.pem`,
    // Istio's certificates name SPIFFE identities, not the pod's address: Prometheus cannot
    // verify the name, the chain is still verified against the mesh's root by the peer.
    insecureSkipVerify: true,
  },
};

/** Pod metadata that gives Prometheus a certificate-only sidecar. */
export function prometheusMeshPodMetadata(): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    // The injector's object selector: this pod is injected in a namespace without injection.
    labels: { 'sidecar.istio.io/inject': 'true' },
    annotations: {
      'traffic.sidecar.istio.io/includeInboundPorts': '',
      'traffic.sidecar.istio.io/includeOutboundIPRanges': '',
      'proxy.istio.io/config': JSON.stringify({ proxyMetadata: { OUTPUT_CERTS: SIDECAR_OUTPUT_CERTS_DIR } }),
      'sidecar.istio.io/userVolumeMount': JSON.stringify([{ name: MESH_CERTS_VOLUME, mountPath: SIDECAR_OUTPUT_CERTS_DIR }]),
    },
  };
}
