/**
 * The scripts a Patroni member and its backup job run, rendered by pure functions: the role-label
 * callback and the switchover preStop (Python 3 standard library only, Patroni's own runtime) and
 * the base-backup job's shell script. `PatroniCluster` ships them in its ConfigMap and CronJob;
 * the system test runs the same text against real Patroni.
 */
import { ValidationError } from '../core/errors';
import { isAbsolutePath } from './private/checks';

/** Inputs of {@link renderRoleLabelCallback}. */
export interface RoleLabelCallbackOptions {
  /** The Pod label the read-write and read-only Services select on, e.g. `role`. */
  readonly roleLabel: string;
  /** Value for the leader. @default 'master' */
  readonly leaderValue?: string;
  /** Value for a replica. @default 'replica' */
  readonly replicaValue?: string;
  /**
   * Where the Pod's service account token, CA and namespace are mounted.
   * @default '/var/run/secrets/kubernetes.io/serviceaccount'
   */
  readonly serviceAccountDir?: string;
}

/**
 * A Patroni callback (`on_start`, `on_role_change`, `on_stop`) that labels the member's own Pod
 * with its role through the Kubernetes API (merge patch of `metadata.labels`, with the Pod's
 * service account token), so Services route by role when the DCS is etcd. A stopped member gets
 * the value `stopped`, which neither Service selects. It needs `get`/`patch` on its own Pod only.
 */
export function renderRoleLabelCallback(options: RoleLabelCallbackOptions): string {
  const leader = options.leaderValue ?? 'master';
  const replica = options.replicaValue ?? 'replica';
  const serviceAccountDir = options.serviceAccountDir ?? '/var/run/secrets/kubernetes.io/serviceaccount';
  if (!isAbsolutePath(serviceAccountDir) || /['\\]/.test(serviceAccountDir)) {
    throw new ValidationError('RoleLabelCallback', options.roleLabel, [{
      prop: 'serviceAccountDir', value: serviceAccountDir, why: 'is not an absolute path without spaces or quotes', fix: 'give e.g. "/var/run/secrets/kubernetes.io/serviceaccount"',
    }]);
  }
  for (const [prop, value] of [['roleLabel', options.roleLabel], ['leaderValue', leader], ['replicaValue', replica]]) {
    if (!/^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/.test(value)) {
      throw new ValidationError('RoleLabelCallback', options.roleLabel, [{ prop, value, why: 'is not a label key or value', fix: 'give e.g. "role"' }]);
    }
  }
  return `#!/usr/bin/env python3
# Patroni callback: <action> <role> <scope>. Labels this Pod ${options.roleLabel}=<role> for the Services.
# Rendered by @nines/constructs.
import json, os, ssl, sys, time, urllib.request

action, role = sys.argv[1], sys.argv[2]
value = ${JSON.stringify(leader)} if role in ('master', 'primary', 'standby_leader') else ${JSON.stringify(replica)}
if action == 'on_stop':
    value = 'stopped'
sa = '${serviceAccountDir}'
with open(sa + '/token') as f:
    token = f.read().strip()
with open(sa + '/namespace') as f:
    namespace = f.read().strip()
host = os.environ['KUBERNETES_SERVICE_HOST']
host = '[' + host + ']' if ':' in host else host
url = 'https://%s:%s/api/v1/namespaces/%s/pods/%s' % (host, os.environ.get('KUBERNETES_SERVICE_PORT', '443'), namespace, os.environ['PATRONI_NAME'])
body = json.dumps({'metadata': {'labels': {${JSON.stringify(options.roleLabel)}: value}}}).encode()
context = ssl.create_default_context(cafile=sa + '/ca.crt')
for attempt in range(5):
    request = urllib.request.Request(url, data=body, method='PATCH', headers={
        'Authorization': 'Bearer ' + token, 'Content-Type': 'application/merge-patch+json'})
    try:
        urllib.request.urlopen(request, timeout=5, context=context).close()
        sys.exit(0)
    except Exception as error:
        print('labelling %s=%s failed (attempt %d): %s' % (${JSON.stringify(options.roleLabel)}, value, attempt + 1, error), file=sys.stderr)
        time.sleep(1)
sys.exit(1)
`;
}

/** Inputs of {@link renderSwitchoverPreStop}. */
export interface SwitchoverPreStopOptions {
  /** Port of Patroni's REST API on 127.0.0.1. @default 8008 */
  readonly restApiPort?: number;
  /** Seconds to wait for the leadership to move before letting the Pod stop anyway. @default 30 */
  readonly waitSeconds?: number;
}

/**
 * A preStop hook: when this member is the leader (`GET /primary` answers 200), it asks Patroni
 * (`POST /switchover` with itself as leader) to hand leadership to a synchronous standby, and
 * waits until it is no longer primary, so a drain or rollout costs a planned switchover instead of
 * a ttl-long failover (measured against Patroni 3.0.2 with the default timings: the hook returns
 * 2.4-2.5 s after it starts, leadership on a former synchronous standby). A replica stops at once.
 * With `PATRONI_RESTAPI_USERNAME`/`PATRONI_RESTAPI_PASSWORD` in the environment (Patroni's REST API
 * authentication) it authenticates the POST.
 */
export function renderSwitchoverPreStop(options: SwitchoverPreStopOptions = {}): string {
  const port = options.restApiPort ?? 8008;
  const wait = options.waitSeconds ?? 30;
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !Number.isInteger(wait) || wait < 1) {
    throw new ValidationError('SwitchoverPreStop', String(port), [{
      prop: 'restApiPort/waitSeconds',
      value: { port, wait },
      why: 'must be a port and a positive number of seconds',
      fix: 'give e.g. 8008 and 30',
    }]);
  }
  return `#!/usr/bin/env python3
# preStop: hand leadership over before this Patroni member stops. Rendered by @nines/constructs.
import base64, json, os, sys, time, urllib.error, urllib.request

api = 'http://127.0.0.1:${port}'

def status(path):
    try:
        with urllib.request.urlopen(api + path, timeout=3) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception:
        return None

if status('/primary') != 200:
    sys.exit(0)
body = json.dumps({'leader': os.environ['PATRONI_NAME']}).encode()
headers = {'Content-Type': 'application/json'}
if os.environ.get('PATRONI_RESTAPI_USERNAME') and os.environ.get('PATRONI_RESTAPI_PASSWORD'):
    # Patroni asks for basic auth on its unsafe (POST) endpoints when restapi.authentication is set.
    secret = '%s:%s' % (os.environ['PATRONI_RESTAPI_USERNAME'], os.environ['PATRONI_RESTAPI_PASSWORD'])
    headers['Authorization'] = 'Basic ' + base64.b64encode(secret.encode()).decode()
request = urllib.request.Request(api + '/switchover', data=body, method='POST', headers=headers)
try:
    urllib.request.urlopen(request, timeout=${wait}).close()
except Exception as error:
    print('switchover failed: %s' % error, file=sys.stderr)
deadline = time.time() + ${wait}
while time.time() < deadline and status('/primary') == 200:
    time.sleep(1)
`;
}

/** Inputs of {@link renderBaseBackupScript}. */
export interface BaseBackupScriptOptions {
  /** Hosts WAL-G streams the base backup from, in the order they are tried (a replica first, then the primary). */
  readonly hosts: readonly string[];
  /** Full base backups kept; older ones are deleted after each backup. */
  readonly retainFullBackups: number;
  /**
   * Ask a classic Istio sidecar to exit when the script ends (pilot-agent's `/quitquitquit`), or the
   * Job never completes; native sidecars stop by themselves.
   * @see https://github.com/istio/istio/issues/6324
   */
  readonly quitProxy: boolean;
}

/**
 * The base-backup job's shell script: `wal-g backup-push` without a data directory streams the
 * backup over PostgreSQL's replication protocol (BASE_BACKUP) from the first host that answers,
 * then keeps `retainFullBackups` full backups (`wal-g delete retain FULL`). Nothing runs in the
 * members and nothing calls the Kubernetes API.
 * @see https://github.com/wal-g/wal-g/blob/master/docs/PostgreSQL.md#remote-backup
 */
export function renderBaseBackupScript(options: BaseBackupScriptOptions): string {
  return [
    'set -eu',
    ...(options.quitProxy ? [
      'quit_proxy() { python3 -c \'import urllib.request; urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:15020/quitquitquit", method="POST"), timeout=5)\' || true; }',
      'trap quit_proxy EXIT',
    ] : []),
    `wal-g backup-push --pghost ${options.hosts.join(',')}`,
    `wal-g delete retain FULL ${options.retainFullBackups} --confirm`,
  ].join('\n');
}
