/**
 * The Pod Security Standards as the PodSecurity admission plugin enforces them, as a pure
 * function of a pod spec and a level: every check of the Baseline and Restricted profiles that
 * a pod spec can fail (Windows HostProcess aside).
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
 * @see https://github.com/kubernetes/pod-security-admission/tree/master/policy (one file per check)
 */
import { PodSecurityLevel } from './model';

/** One refused field. */
export interface PodSecurityViolation {
  /** The check, as the Pod Security Standards name it (e.g. `Running as Non-root`). */
  readonly check: string;
  /** The level whose check refuses it. */
  readonly level: 'baseline' | 'restricted';
  /** What is refused, naming the container. */
  readonly detail: string;
}

/** Capabilities Baseline lets a container add. */
const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
/** Volume types Restricted allows. */
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
/** Sysctls Baseline allows. */
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);

const LIST_NAMES: Readonly<Record<string, string>> = { initContainers: 'init container', containers: 'container', ephemeralContainers: 'ephemeral container' };

/** Every container of a pod spec (init, app, ephemeral) with how to name it (named only for a violation). */
function containers(spec: any): Array<{ c: any; readonly name: string }> {
  const out: Array<{ c: any; readonly name: string }> = [];
  for (const list of Object.keys(LIST_NAMES)) {
    for (const c of spec?.[list] ?? []) out.push({ c, get name() { return `${LIST_NAMES[list]} "${c?.name}"`; } });
  }
  return out;
}

/** The violations of `level` by the pod spec `spec` (none for `privileged`). */
export function podSecurityViolations(level: PodSecurityLevel, spec: any): PodSecurityViolation[] {
  if (level === 'privileged') return [];
  const out: PodSecurityViolation[] = [];
  const add = (lvl: 'baseline' | 'restricted', check: string, detail: string) => out.push({ level: lvl, check, detail });
  const pod = spec?.securityContext ?? {};
  const all = containers(spec);

  // ---- Baseline ----
  for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec?.[k] === true) add('baseline', 'Host Namespaces', `${k} is true`);
  for (const { c, name } of all) {
    const sc = c?.securityContext ?? {};
    if (sc.privileged === true) add('baseline', 'Privileged Containers', `${name} is privileged`);
    const extra = (sc.capabilities?.add ?? []).filter((x: string) => !BASELINE_CAPABILITIES.has(x));
    if (extra.length) add('baseline', 'Capabilities', `${name} adds ${extra.join(', ')}`);
    if ((c?.ports ?? []).some((p: any) => p.hostPort)) add('baseline', 'Host Ports', `${name} uses a hostPort`);
    if (sc.procMount !== undefined && sc.procMount !== 'Default') add('baseline', '/proc Mount Type', `${name} sets procMount ${sc.procMount}`);
    if (sc.seccompProfile?.type === 'Unconfined') add('baseline', 'Seccomp', `${name} sets seccompProfile Unconfined`);
    if (sc.seLinuxOptions && (!SELINUX_TYPES.has(sc.seLinuxOptions.type ?? '') || sc.seLinuxOptions.user || sc.seLinuxOptions.role)) {
      add('baseline', 'SELinux', `${name} sets seLinuxOptions ${JSON.stringify(sc.seLinuxOptions)}`);
    }
  }
  for (const v of spec?.volumes ?? []) if (v.hostPath) add('baseline', 'HostPath Volumes', `volume "${v.name}" is a hostPath`);
  if (pod.seccompProfile?.type === 'Unconfined') add('baseline', 'Seccomp', 'the pod sets seccompProfile Unconfined');
  for (const s of pod.sysctls ?? []) if (!SAFE_SYSCTLS.has(s.name)) add('baseline', 'Sysctls', `the pod sets sysctl ${s.name}`);
  if (level === 'baseline') return out;

  // ---- Restricted ----
  for (const v of spec?.volumes ?? []) {
    const bad = Object.keys(v).filter(k => k !== 'name' && !RESTRICTED_VOLUMES.has(k) && k !== 'hostPath');
    if (bad.length) add('restricted', 'Volume Types', `volume "${v.name}" is of type ${bad.join(', ')}`);
  }
  if (pod.runAsUser === 0) add('restricted', 'Running as Non-root user', 'the pod sets runAsUser 0');
  for (const { c, name } of all) {
    const sc = c?.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) add('restricted', 'Privilege Escalation', `${name} does not set allowPrivilegeEscalation false`);
    const nonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (nonRoot !== true) add('restricted', 'Running as Non-root', `${name} sets runAsNonRoot ${nonRoot === false ? 'false' : 'nowhere'}`);
    if (sc.runAsUser === 0) add('restricted', 'Running as Non-root user', `${name} sets runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') add('restricted', 'Seccomp', `${name} has seccompProfile ${seccomp ?? 'unset (on the pod and the container)'}`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) add('restricted', 'Capabilities', `${name} does not drop ALL capabilities`);
    // (capabilities outside Baseline's list are reported once, above)
    const added = (sc.capabilities?.add ?? []).filter((x: string) => x !== 'NET_BIND_SERVICE' && BASELINE_CAPABILITIES.has(x));
    if (added.length) add('restricted', 'Capabilities', `${name} adds ${added.join(', ')} (only NET_BIND_SERVICE is allowed)`);
  }
  return out;
}
