/**
 * cert-manager's own CRD schemas (cert-manager.io/v1 Certificate and ClusterIssuer), as the chart
 * ClusterAddons pins installs them: the `openAPIV3Schema` of each CRD of
 * https://github.com/cert-manager/cert-manager/tree/v1.21.1/deploy/crds, descriptions dropped
 * (test/schemas/cert-manager-v1.21.1.json). Unknown fields are rejected like every other kind's.
 */
import { JSONSchema, registerSchema } from './schema';
import CERT_MANAGER from '../schemas/cert-manager-v1.21.1.json';

/** Registers Certificate and ClusterIssuer (idempotent). */
export function registerCertManagerSchemas(): void {
  for (const [kind, schema] of Object.entries(CERT_MANAGER.kinds)) registerSchema('cert-manager.io/v1', kind, schema as JSONSchema);
}
registerCertManagerSchemas();
