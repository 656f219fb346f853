/*
 * Internal: Renders least-privilege NetworkPolicy specs from dependency peers: default deny in
 * both directions, then exactly the declared callers in and the declared dependencies out,
 * plus cluster DNS and the mesh control plane.
 */
import { LABELS } from '../../core/labels';
import { NetworkPeer } from '../dependency';

/** Inputs of {@link renderNetworkPolicySpec}. */
export interface NetworkPolicyInput {
  readonly podSelector: Record<string, string>;
  readonly ingress: readonly NetworkPeer[];
  readonly egress: readonly NetworkPeer[];
  /** Namespace of istiod (sidecars fetch config and certificates from it on 15012). */
  readonly meshNamespace: string;
}

function peerSelector(p: NetworkPeer): Record<string, unknown>[] {
  if (p.cidrs && p.cidrs.length > 0) {
    return p.cidrs.map(cidr => ({ ipBlock: { cidr, ...(p.exceptCidrs?.length ? { except: [...p.exceptCidrs] } : {}) } }));
  }
  const sel: Record<string, unknown> = {};
  if (p.namespace) sel.namespaceSelector = { matchLabels: { [LABELS.namespaceName]: p.namespace } };
  if (p.podLabels) sel.podSelector = { matchLabels: p.podLabels };
  return [sel];
}

function ports(p: NetworkPeer): Record<string, unknown>[] {
  return p.ports.map(x => ({ port: x.port, protocol: x.protocol ?? 'TCP' }));
}

/** The spec of a default-deny NetworkPolicy admitting exactly `ingress` and `egress`. */
export function renderNetworkPolicySpec(input: NetworkPolicyInput): Record<string, unknown> {
  const dns: NetworkPeer = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] };
  const istiod: NetworkPeer = { namespace: input.meshNamespace, podLabels: { app: 'istiod' }, ports: [{ port: 15012, protocol: 'TCP' }] };
  const uniq = (rules: Record<string, unknown>[]) => {
    const seen = new Set<string>();
    return rules.filter(r => {
      const k = JSON.stringify(r);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
  return {
    podSelector: { matchLabels: input.podSelector },
    policyTypes: ['Ingress', 'Egress'],
    ingress: uniq(input.ingress.map(p => ({ from: peerSelector(p), ports: ports(p) }))),
    egress: uniq([dns, istiod, ...input.egress].map(p => ({ to: peerSelector(p), ports: ports(p) }))),
  };
}
