/**
 * Fluent Bit configuration for the node log shipper, and the index lifecycle policy of the
 * log store, rendered by pure functions.
 *
 * Pipeline: `tail` on `/var/log/containers/*.log` (CRI and Docker multiline parsers) ->
 * `kubernetes` filter (pod metadata; `Merge_Log On` parses a JSON log line into fields, the
 * structured logs of the case study, at the top level of the record) -> one `modify` filter per redacted field (the value is
 * replaced by `[REDACTED]` wherever the key exists) -> a Lua filter masking anything shaped like
 * a card number (13-19 digits, spaces or dashes allowed) in the free-text fields, keeping the
 * last 4 digits -> `es` output (Elasticsearch/OpenSearch) writing to the lifecycle policy's
 * write alias, over TLS, with the password from the environment (a Secret reference).
 *
 * @see the case study, section 3.2 (logging: structured JSON, "never log card numbers",
 *   retention tiers hot 7 d / warm / cold 30 d / delete 90 d)
 * @see https://docs.fluentbit.io/manual/administration/configuring-fluent-bit/classic-mode
 */
import { Problem, Problems } from '../core/errors';

/**
 * Fields redacted by default: card data (PCI DSS) and credentials.
 * @see the case study, section 3.2 ("ANTI-PATTERN: Logs credit card numbers")
 */
export const DEFAULT_REDACTED_FIELDS: readonly string[] = [
  'card_number', 'credit_card_number', 'cardNumber', 'pan', 'cvv', 'cvc', 'password', 'authorization', 'api_key', 'token',
];

/** Where the logs go. */
export interface LogOutput {
  /** Elasticsearch/OpenSearch host (DNS name). */
  readonly host: string;
  /**
   * Port.
   * @default 443
   */
  readonly port?: number;
  /**
   * User name.
   * @default 'fluent-bit'
   */
  readonly user?: string;
  /**
   * Environment variable holding the password (set from a Secret by the DaemonSet).
   * @default 'LOG_STORE_PASSWORD'
   */
  readonly passwordEnv?: string;
  /**
   * Index (the lifecycle policy's write alias).
   * @default 'logs-write'
   */
  readonly index?: string;
}

/** Options of {@link renderFluentBitConfig}. */
export interface FluentBitOptions {
  /** The log store. */
  readonly output: LogOutput;
  /**
   * Fields whose values are replaced by `[REDACTED]` (top-level keys after JSON parsing).
   * @default DEFAULT_REDACTED_FIELDS
   */
  readonly redactFields?: readonly string[];
  /**
   * Mask card-number-shaped digit runs in free-text fields, keeping the last 4 digits.
   * @default true
   */
  readonly maskCardNumbers?: boolean;
  /**
   * Free-text fields the card mask scans.
   * @default ['log', 'message', 'msg']
   */
  readonly freeTextFields?: readonly string[];
  /**
   * The HTTP server port (health and metrics).
   * @default 2020
   */
  readonly httpPort?: number;
  /**
   * Directory of the tail offset database (an emptyDir in the DaemonSet).
   * @default '/var/fluent-bit/state'
   */
  readonly stateDir?: string;
  /**
   * Memory buffer limit per tail input.
   * @default '50MB'
   */
  readonly memBufLimit?: string;
}

/** The files of the rendered configuration (mount them in one directory). */
export interface FluentBitFiles {
  readonly 'fluent-bit.conf': string;
  readonly 'parsers.conf': string;
  readonly 'redact.lua': string;
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_.@-]*$/;
const HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Validates the options; returns every problem. */
export function fluentBitProblems(o: FluentBitOptions): Problem[] {
  const p: Problem[] = [];
  const out = o.output ?? ({} as LogOutput);
  if (typeof out.host !== 'string' || !HOST.test(out.host)) p.push({ prop: 'output.host', value: out.host, why: 'is not a DNS name', fix: 'give e.g. "logs.example.internal"' });
  const port = out.port ?? 443;
  if (!Number.isInteger(port) || port < 1 || port > 65535) p.push({ prop: 'output.port', value: port, why: 'is not a TCP port', fix: 'use e.g. 443 or 9200' });
  if (!/^[A-Z_][A-Z0-9_]*$/.test(out.passwordEnv ?? 'LOG_STORE_PASSWORD')) {
    p.push({ prop: 'output.passwordEnv', value: out.passwordEnv, why: 'is not an environment variable name', fix: 'use e.g. "LOG_STORE_PASSWORD"' });
  }
  if (!/^[a-z0-9][-a-z0-9_.]*$/.test(out.index ?? 'logs-write')) p.push({ prop: 'output.index', value: out.index, why: 'is not an index or alias name', fix: 'use lower case, e.g. "logs-write"' });
  if (!/^[a-zA-Z0-9_-]+$/.test(out.user ?? 'fluent-bit')) p.push({ prop: 'output.user', value: out.user, why: 'is not a user name', fix: 'use e.g. "fluent-bit"' });
  for (const [prop, list] of [['redactFields', o.redactFields], ['freeTextFields', o.freeTextFields]] as const) {
    (list ?? []).forEach((f, i) => {
      if (typeof f !== 'string' || !FIELD.test(f)) p.push({ prop: `${prop}[${i}]`, value: f, why: 'is not a record key', fix: 'use letters, digits, "_", ".", "@" and "-"' });
    });
  }
  const http = o.httpPort ?? 2020;
  if (!Number.isInteger(http) || http < 1024 || http > 65535) p.push({ prop: 'httpPort', value: http, why: 'is not an unprivileged port', fix: 'use e.g. 2020' });
  if (!(o.stateDir ?? '/var/fluent-bit/state').startsWith('/')) p.push({ prop: 'stateDir', value: o.stateDir, why: 'is not an absolute path', fix: 'use "/var/fluent-bit/state"' });
  if (!/^\d+(KB|MB|GB)$/.test(o.memBufLimit ?? '50MB')) p.push({ prop: 'memBufLimit', value: o.memBufLimit, why: 'is not a Fluent Bit size', fix: 'use e.g. "50MB"' });
  return p;
}

function section(name: string, entries: ReadonlyArray<readonly [string, string | number]>): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return [`[${name}]`, ...entries.map(([k, v]) => `    ${k.padEnd(width)} ${v}`)].join('\n');
}

/** The Lua masking function: card-number-shaped digit runs keep only their last 4 digits. */
function redactLua(fields: readonly string[]): string {
  return [
    '-- Masks card-number-shaped digit runs (13-19 digits, spaces/dashes allowed), keeping the last 4.',
    `local fields = { ${fields.map(f => JSON.stringify(f)).join(', ')} }`,
    '',
    'local function mask(text)',
    '  return (string.gsub(text, "%d[%d %-]+%d", function(run)',
    '    local digits = string.gsub(run, "[ %-]", "")',
    '    if #digits >= 13 and #digits <= 19 then',
    '      return string.rep("*", #digits - 4) .. string.sub(digits, -4)',
    '    end',
    '    return run',
    '  end))',
    'end',
    '',
    'function mask_card_numbers(tag, timestamp, record)',
    '  local changed = false',
    '  for _, key in ipairs(fields) do',
    '    local value = record[key]',
    '    if type(value) == "string" then',
    '      local masked = mask(value)',
    '      if masked ~= value then',
    '        record[key] = masked',
    '        changed = true',
    '      end',
    '    end',
    '  end',
    '  if changed then return 2, timestamp, record end',
    '  return 0, timestamp, record',
    'end',
    '',
  ].join('\n');
}

/**
 * Renders the Fluent Bit configuration files.
 * @throws ValidationError listing every bad option.
 */
export function renderFluentBitConfig(options: FluentBitOptions): FluentBitFiles {
  const problems = new Problems('renderFluentBitConfig', 'options');
  problems.addAll(fluentBitProblems(options));
  problems.throwIfAny();

  const out = options.output;
  const redact = [...new Set(options.redactFields ?? DEFAULT_REDACTED_FIELDS)];
  const freeText = [...new Set(options.freeTextFields ?? ['log', 'message', 'msg'])];
  const stateDir = (options.stateDir ?? '/var/fluent-bit/state').replace(/\/+$/, '');
  const parts: string[] = [
    section('SERVICE', [
      ['Flush', 1], ['Grace', 10], ['Log_Level', 'info'], ['Daemon', 'off'], ['Parsers_File', 'parsers.conf'],
      ['HTTP_Server', 'On'], ['HTTP_Listen', '0.0.0.0'], ['HTTP_Port', options.httpPort ?? 2020],
      ['Health_Check', 'On'], ['HC_Errors_Count', 5], ['HC_Retry_Failure_Count', 5], ['HC_Period', 60],
      ['storage.path', `${stateDir}/buffer`], ['storage.sync', 'normal'], ['storage.backlog.mem_limit', '5M'],
    ]),
    section('INPUT', [
      ['Name', 'tail'], ['Tag', 'kube.*'], ['Path', '/var/log/containers/*.log'], ['multiline.parser', 'cri, docker'],
      ['DB', `${stateDir}/tail.db`], ['DB.locking', 'true'], ['Mem_Buf_Limit', options.memBufLimit ?? '50MB'],
      ['Skip_Long_Lines', 'On'], ['Refresh_Interval', 10], ['storage.type', 'filesystem'],
    ]),
    section('FILTER', [
      ['Name', 'kubernetes'], ['Match', 'kube.*'], ['Kube_Tag_Prefix', 'kube.var.log.containers.'],
      ['Merge_Log', 'On'], ['Keep_Log', 'Off'],
      ['K8S-Logging.Parser', 'On'], ['K8S-Logging.Exclude', 'On'], ['Labels', 'On'], ['Annotations', 'Off'],
    ]),
    ...redact.map(f => section('FILTER', [['Name', 'modify'], ['Match', 'kube.*'], ['Condition', `Key_exists ${f}`], ['Set', `${f} [REDACTED]`]])),
  ];
  if (options.maskCardNumbers ?? true) {
    parts.push(section('FILTER', [['Name', 'lua'], ['Match', 'kube.*'], ['script', 'redact.lua'], ['call', 'mask_card_numbers']]));
  }
  parts.push(section('OUTPUT', [
    ['Name', 'es'], ['Match', 'kube.*'], ['Host', out.host], ['Port', out.port ?? 443],
    ['HTTP_User', out.user ?? 'fluent-bit'], ['HTTP_Passwd', `\${${out.passwordEnv ?? 'LOG_STORE_PASSWORD'}}`],
    ['tls', 'On'], ['tls.verify', 'On'], ['Index', out.index ?? 'logs-write'], ['Suppress_Type_Name', 'On'],
    ['Replace_Dots', 'On'], ['Trace_Error', 'On'], ['Retry_Limit', 10], ['Buffer_Size', '512KB'],
  ]));
  const parsers = [
    section('PARSER', [['Name', 'json'], ['Format', 'json'], ['Time_Key', 'time'], ['Time_Format', '%Y-%m-%dT%H:%M:%S.%L%z'], ['Time_Keep', 'On']]),
  ];
  return {
    'fluent-bit.conf': parts.join('\n\n') + '\n',
    'parsers.conf': parsers.join('\n\n') + '\n',
    'redact.lua': redactLua(freeText),
  };
}

// ---------------------------------------------------------------------------------------------
// Index lifecycle
// ---------------------------------------------------------------------------------------------

/** A duration in days, as the lifecycle policy's `min_age`. */
export type Days = `${number}d`;

/** The typed retention tiers of the log store. */
export interface LogLifecycleTiers {
  /**
   * Hot: roll the write index over at this primary shard size or age.
   * @default { maxPrimaryShardSize: '50gb', maxAge: '1d' }
   */
  readonly hot?: { readonly maxPrimaryShardSize?: string; readonly maxAge?: Days };
  /**
   * Warm: from this age, lower priority and force-merge to one segment.
   * @default { minAge: '7d' } (the case study: 7 days hot)
   */
  readonly warm?: { readonly minAge?: Days };
  /**
   * Cold: from this age, searchable snapshots in the object-store repository.
   * @default { minAge: '30d', snapshotRepository: 's3-repository' }
   */
  readonly cold?: { readonly minAge?: Days; readonly snapshotRepository?: string };
  /**
   * Delete at this age.
   * @default { minAge: '90d' }
   */
  readonly delete?: { readonly minAge?: Days };
}

/**
 * The tiers' defaults, the case study's policy: hot 7 d, warm until 30 d, cold until 90 d.
 * @see the case study, section 3.2 (`ilm_policy`)
 */
export const DEFAULT_LOG_TIERS = {
  hot: { maxPrimaryShardSize: '50gb', maxAge: '1d' as Days },
  warm: { minAge: '7d' as Days },
  cold: { minAge: '30d' as Days, snapshotRepository: 's3-repository' },
  delete: { minAge: '90d' as Days },
} as const;

function days(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^(\d+)d$/.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Renders an Elasticsearch ILM policy (the body of `PUT _ilm/policy/<name>`).
 * @throws ValidationError when an age is not whole days or the tiers are out of order.
 */
export function renderIndexLifecyclePolicy(tiers: LogLifecycleTiers = {}): Record<string, any> {
  const hot = { ...DEFAULT_LOG_TIERS.hot, ...tiers.hot };
  const warm = { ...DEFAULT_LOG_TIERS.warm, ...tiers.warm };
  const cold = { ...DEFAULT_LOG_TIERS.cold, ...tiers.cold };
  const del = { ...DEFAULT_LOG_TIERS.delete, ...tiers.delete };
  const problems = new Problems('renderIndexLifecyclePolicy', 'tiers');
  const ages: Array<[string, unknown]> = [['hot.maxAge', hot.maxAge], ['warm.minAge', warm.minAge], ['cold.minAge', cold.minAge], ['delete.minAge', del.minAge]];
  for (const [prop, v] of ages) problems.when(days(v) === undefined || days(v) === 0, prop, v, 'is not a positive number of days', 'use e.g. "7d"');
  problems.when(!/^\d+(mb|gb|tb)$/.test(hot.maxPrimaryShardSize), 'hot.maxPrimaryShardSize', hot.maxPrimaryShardSize, 'is not an Elasticsearch byte size', 'use e.g. "50gb"');
  problems.when(!/^[a-z0-9][-a-z0-9_]*$/.test(cold.snapshotRepository), 'cold.snapshotRepository', cold.snapshotRepository, 'is not a snapshot repository name', 'use e.g. "s3-repository"');
  const [w, c, d] = [days(warm.minAge), days(cold.minAge), days(del.minAge)];
  if (w !== undefined && c !== undefined && w >= c) problems.add('cold.minAge', cold.minAge, `must be later than warm.minAge (${warm.minAge})`, 'order the tiers hot < warm < cold < delete');
  if (c !== undefined && d !== undefined && c >= d) problems.add('delete.minAge', del.minAge, `must be later than cold.minAge (${cold.minAge})`, 'order the tiers hot < warm < cold < delete');
  problems.throwIfAny();
  return {
    policy: {
      phases: {
        hot: { min_age: '0d', actions: { rollover: { max_primary_shard_size: hot.maxPrimaryShardSize, max_age: hot.maxAge }, set_priority: { priority: 100 } } },
        warm: { min_age: warm.minAge, actions: { set_priority: { priority: 50 }, forcemerge: { max_num_segments: 1 } } },
        cold: {
          min_age: cold.minAge,
          actions: { set_priority: { priority: 0 }, searchable_snapshot: { snapshot_repository: cold.snapshotRepository } },
        },
        delete: { min_age: del.minAge, actions: { delete: {} } },
      },
    },
  };
}
