/**
 * Karpenter's own CRD schemas (karpenter.sh/v1 NodePool, karpenter.k8s.aws/v1 EC2NodeClass), as
 * the `karpenter-crd` chart the Karpenter component pins installs them: the `openAPIV3Schema` of
 * https://github.com/aws/karpenter-provider-aws/tree/v1.9.2/pkg/apis/crds, descriptions dropped
 * (test/schemas/karpenter-v1.9.2.json). Unknown fields are rejected like every other kind's.
 */
import { JSONSchema, registerSchema } from './schema';
import KARPENTER from '../schemas/karpenter-v1.9.2.json';

/** Registers NodePool and EC2NodeClass (idempotent). */
export function registerKarpenterSchemas(): void {
  for (const [kind, schema] of Object.entries(KARPENTER.kinds)) {
    registerSchema(KARPENTER.apiVersions[kind as keyof typeof KARPENTER.apiVersions], kind, schema as JSONSchema);
  }
}
registerKarpenterSchemas();
