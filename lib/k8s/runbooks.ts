/**
 * Runbooks for every alert an app generates, so no `runbook_url` points nowhere.
 *
 * `collectAlerts(app)` reads the alerting rules of every PrometheusRule in the app;
 * `renderRunbooks(alerts, options)` renders one Markdown skeleton per runbook slug in the case
 * study's runbook shape (what is happening, quick diagnosis, actions, when to escalate) and lists
 * every alert whose `runbook_url` does not point at those pages; `writeRunbooks(app, options)`
 * writes them under `dist/runbooks/` and throws when any alert's link would point nowhere.
 *
 * Publish `dist/runbooks/` at `runbookBaseUrl` (the same base the SLO rules and the alert pack
 * link to), e.g. as the wiki's runbook space.
 *
 * @see the case study, section 3.4 ("Actionable runbook") and the incident-response runbooks
 */
import * as fs from 'fs';
import * as path from 'path';
import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Problem, Problems } from '../core/errors';
import { SEVERITIES, Severity } from '../render/slo-rules';
import { PrometheusRule } from './crds/monitoring';

/** One alerting rule found in the app. */
export interface AlertInfo {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** `namespace/name` of the PrometheusRule, and the group. */
  readonly source: string;
}

/** Options of {@link renderRunbooks} and {@link writeRunbooks}. */
export interface RunbookOptions {
  /**
   * Where `dist/runbooks/` is published; every alert's `runbook_url` must be
   * `${runbookBaseUrl}/<slug>` (no trailing slash needed).
   */
  readonly runbookBaseUrl: string;
  /**
   * Output directory.
   * @default 'dist/runbooks'
   */
  readonly outdir?: string;
  /**
   * Let `writeRunbooks` write (a page named after the alert) for alerts with no `runbook_url`
   * instead of refusing them; links pointing elsewhere are still refused. A migration aid for
   * constructs that do not annotate their alerts yet.
   * @default false
   */
  readonly allowMissingLinks?: boolean;
}

/**
 * Escalation per severity, the case study's P0-P4 table.
 * @see the case study, section 3.4
 */
export const ESCALATION: Readonly<Record<Severity, string>> = {
  P0: 'Page on-call immediately. Escalate to the on-call manager after 10 min if the service is not recovering.',
  P1: 'Page on-call; respond within 15 min. Escalate to the on-call manager if not acknowledged in 10 min.',
  P2: 'Page on-call; respond within 30 min. Create a ticket if not acknowledged in 20 min.',
  P3: 'Chat notification; investigate when available. Create a ticket.',
  P4: 'Dashboards only; review during office hours. No immediate action required.',
};

/** Every alerting rule of every PrometheusRule in the app of `scope`, in tree order. */
export function collectAlerts(scope: IConstruct): AlertInfo[] {
  const out: AlertInfo[] = [];
  for (const c of scope.node.root.node.findAll()) {
    if (!(c instanceof ApiObject) || c.kind !== PrometheusRule.GVK.kind || c.apiVersion !== PrometheusRule.GVK.apiVersion) continue;
    const json = c.toJson();
    const ref = `${json.metadata?.namespace ?? 'default'}/${json.metadata?.name}`;
    for (const g of json.spec?.groups ?? []) {
      for (const r of g.rules ?? []) {
        if (!r.alert) continue;
        out.push({ alert: r.alert, expr: r.expr, for: r.for, labels: r.labels ?? {}, annotations: r.annotations ?? {}, source: `${ref} (group ${g.name})` });
      }
    }
  }
  return out;
}

/** The slug of an alert's runbook: the last segment of its `runbook_url`, else the kebab-cased alert name. */
export function runbookSlug(a: AlertInfo): string {
  const url = a.annotations.runbook_url;
  const last = typeof url === 'string' ? url.replace(/\/+$/, '').split('/').pop() : undefined;
  if (last && /^[a-z0-9][-a-z0-9_.]*$/.test(last)) return last;
  return a.alert.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
}

const NO_LINK = 'has no runbook_url annotation';

/** Problems with the alerts' runbook links: missing, or not under `runbookBaseUrl`. */
export function runbookLinkProblems(alerts: readonly AlertInfo[], runbookBaseUrl: string): Problem[] {
  const base = runbookBaseUrl.replace(/\/+$/, '');
  const out: Problem[] = [];
  for (const a of alerts) {
    const url = a.annotations.runbook_url;
    if (typeof url !== 'string' || url === '') {
      out.push({ prop: `${a.alert} (${a.source})`, value: url, why: NO_LINK, fix: `annotate it with runbook_url: "${base}/${runbookSlug(a)}"` });
    } else if (url !== `${base}/${runbookSlug(a)}`) {
      out.push({ prop: `${a.alert} (${a.source})`, value: url, why: `does not point at the generated runbooks (${base}/<slug>)`, fix: `use "${base}/${runbookSlug(a)}" or set runbookBaseUrl to where these alerts link` });
    }
  }
  return out;
}

function isSeverity(s: unknown): s is Severity {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(SEVERITIES, s);
}

/** Renders one runbook page for the alerts sharing a slug. */
export function renderRunbook(slug: string, alerts: readonly AlertInfo[]): string {
  const a = alerts[0];
  const severity = a.labels.severity;
  const service = a.labels.service;
  const namespace = a.labels.namespace;
  const sel = service ? ` -l app.kubernetes.io/name=${service}` : '';
  const ns = namespace ? ` -n ${namespace}` : '';
  const where = [...new Set(alerts.map(x => x.source))].sort();
  const lines = [
    `# ${a.alert}`,
    '',
    `<!-- Generated by @nines/constructs from the alert rules (runbook ${slug}); edit the sections marked TODO. -->`,
    '',
    '| Severity | Service | Namespace | For |',
    '|---|---|---|---|',
    `| ${severity ?? '-'} | ${service ?? '-'} | ${namespace ?? '-'} | ${a.for ?? '0s'} |`,
    '',
    '## What is happening?',
    '',
    a.annotations.summary ?? a.alert,
    '',
    ...(a.annotations.description ? [a.annotations.description, ''] : []),
    ...(isSeverity(severity) ? [`Severity ${severity}: ${SEVERITIES[severity]}.`, ''] : []),
    'The alert fires when this expression has been true for the `for` duration:',
    '',
    '```promql',
    a.expr.trim(),
    '```',
    '',
    '## Quick diagnosis',
    '',
    ...(a.annotations.dashboard_url ? [`1. Open the dashboard: ${a.annotations.dashboard_url}`] : ['1. Open the service dashboard.']),
    '2. Run the expression above in the global query view (Thanos Query) to see which region and pods it holds for.',
    `3. Pods and recent events: \`kubectl${ns} get pods${sel} -o wide\` and \`kubectl${ns} get events --sort-by=.lastTimestamp\``,
    `4. Recent logs: \`kubectl${ns} logs${sel} --tail=200 --prefix\``,
    `5. Recent changes: \`kubectl${ns} rollout history deployment/${service ?? '<name>'}\``,
    '6. TODO: the checks specific to this alert.',
    '',
    '## Actions to take',
    '',
    `- **Short term**: TODO (e.g. roll back the last change: \`kubectl${ns} rollout undo deployment/${service ?? '<name>'}\`, scale out, fail over).`,
    '- **Medium term**: TODO.',
    '- **Long term**: TODO (fix the cause; write the post-mortem action items).',
    '',
    '## When to escalate',
    '',
    isSeverity(severity) ? ESCALATION[severity] : 'TODO: the alert has no P0-P4 severity label; give it one.',
    '- The symptoms spread to other services or regions.',
    '- The actions above do not help within the response time of the severity.',
    '',
    '## Where this alert is defined',
    '',
    ...where.map(w => `- ${w}`),
    '',
  ];
  return lines.join('\n');
}

/** Pages by file name (`<slug>.md`, plus `README.md` indexing them) and link problems. */
export interface RenderedRunbooks {
  readonly files: Readonly<Record<string, string>>;
  readonly problems: readonly Problem[];
}

/** Renders the runbook pages for `alerts` (pure). */
export function renderRunbooks(alerts: readonly AlertInfo[], options: RunbookOptions): RenderedRunbooks {
  const bySlug = new Map<string, AlertInfo[]>();
  for (const a of alerts) {
    const slug = runbookSlug(a);
    bySlug.set(slug, [...(bySlug.get(slug) ?? []), a]);
  }
  const files: Record<string, string> = {};
  const slugs = [...bySlug.keys()].sort();
  for (const slug of slugs) files[`${slug}.md`] = renderRunbook(slug, bySlug.get(slug)!);
  files['README.md'] = [
    '# Runbooks',
    '',
    'One page per alert the platform generates. Generated; keep the TODO sections up to date.',
    '',
    '| Runbook | Alert | Severity |',
    '|---|---|---|',
    ...slugs.map(s => `| [${s}](${s}.md) | ${bySlug.get(s)![0].alert} | ${bySlug.get(s)![0].labels.severity ?? '-'} |`),
    '',
  ].join('\n');
  return { files, problems: runbookLinkProblems(alerts, options.runbookBaseUrl) };
}

/**
 * Writes a runbook per alert of the app under `options.outdir` (default `dist/runbooks`).
 * Existing pages are overwritten; call it after `app.synth()`.
 * @returns the paths written.
 * @throws ValidationError when an alert has no runbook link or it points elsewhere (nothing is
 *   written then).
 */
export function writeRunbooks(scope: IConstruct, options: RunbookOptions): string[] {
  const { files, problems } = renderRunbooks(collectAlerts(scope), options);
  const p = new Problems('writeRunbooks', scope.node.root.node.path || 'app');
  p.addAll(options.allowMissingLinks ? problems.filter(x => x.why !== NO_LINK) : problems);
  p.throwIfAny();
  const dir = options.outdir ?? path.join('dist', 'runbooks');
  fs.mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  });
}
