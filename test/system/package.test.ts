/**
 * The package as a user gets it: `npm pack`, then a fresh project that follows only the
 * README's Install section (its `npm install` lines, with the tarball in place of the package
 * name, and cdk8s-cli's TypeScript app tsconfig), in which
 * - `tsc` compiles every TypeScript block of the README and every example of examples/, each
 *   importing the package by name, under the template's strict options and without
 *   `skipLibCheck` (so the published declarations themselves are checked);
 * - `cdk8s synth` synthesizes the quickstart exactly as the README sets it up (cdk8s.yaml with
 *   `npx ts-node main.ts`) and every example;
 * - node_modules holds no `@pulumi` package and the install printed no engine warning;
 * - then, with the optional Pulumi peers installed, a program importing `/aws` compiles.
 *
 * Needs the npm registry (or a warm npm cache); takes a few minutes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples')).filter(f => f.endsWith('.ts'));
const STEP_TIMEOUT = 600_000;

/** The fenced blocks of `lang` in the README section headed `heading` (all sections when undefined). */
function blocks(lang: string, heading?: string): string[] {
  let text = README;
  if (heading) {
    const start = README.indexOf(`\n## ${heading}\n`);
    if (start < 0) throw new Error(`README has no section "## ${heading}"`);
    const end = README.indexOf('\n## ', start + 1);
    text = README.slice(start, end < 0 ? undefined : end);
  }
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map(m => m[1]);
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: STEP_TIMEOUT,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e: any) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Runs and returns stdout + stderr (npm prints its warnings on stderr). */
function runAll(command: string, cwd: string): string {
  return run('bash', ['-c', `${command} 2>&1`], cwd);
}

function duKb(dir: string): number {
  return Number(run('du', ['-sk', dir], dir).split(/\s/)[0]);
}

describe('the packed library in a fresh project, following the README', () => {
  let work: string;
  let project: string;
  let tarball: string;
  const timings: Record<string, number> = {};
  const timed = <T>(label: string, fn: () => T): T => {
    const t0 = Date.now();
    try {
      return fn();
    } finally {
      timings[label] = (Date.now() - t0) / 1000;
    }
  };

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'nines-pack-'));
    project = path.join(work, 'shop');
    fs.mkdirSync(project);
    timed('build', () => run('npx', ['tsc', '-p', 'tsconfig.json'], ROOT));
    const packed = JSON.parse(timed('pack', () => run('npm', ['pack', '--json', '--pack-destination', work], ROOT)));
    tarball = path.join(work, packed[0].filename);
  }, 2 * STEP_TIMEOUT);

  afterAll(() => {
    // eslint-disable-next-line no-console
    console.log(`package test timings (s): ${JSON.stringify(timings)}`);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the tarball ships the three entry points with their declarations, and no sources or tests', () => {
    const files: string[] = JSON.parse(run('npm', ['pack', '--dry-run', '--json'], ROOT))[0].files.map((f: any) => f.path);
    for (const entry of ['build/index', 'build/k8s/index', 'build/aws/index']) {
      expect(files).toContain(`${entry}.js`);
      expect(files).toContain(`${entry}.d.ts`);
    }
    expect(files.filter(f => /^(lib|test|stacks|examples)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  test('README install, strict tsc of every README block and example, cdk8s synth of the quickstart and examples, no @pulumi', () => {
    // 1. The README's install lines, the package name replaced by the tarball.
    const install = blocks('sh', 'Install')[0].split('\n').map(l => l.replace(/\s+#.*$/, '').trim()).filter(l => l !== '');
    expect(install[0]).toBe('npm init -y');
    let installLog = '';
    timed('install', () => {
      for (const line of install) {
        installLog += runAll(line.replace(/(^|\s)@nines\/constructs(?=\s|$)/, `$1${tarball}`), project);
      }
    });
    expect(installLog).not.toMatch(/EBADENGINE|Unsupported engine/);
    expect(fs.existsSync(path.join(project, 'node_modules', '@nines', 'constructs', 'build', 'k8s', 'index.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(project, 'node_modules', '@pulumi'))).toBe(false);
    // the tsconfig is cdk8s-cli's app template: strict, noUnusedLocals, no skipLibCheck
    const tsconfig = JSON.parse(fs.readFileSync(path.join(project, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.strict).toBe(true);
    expect(tsconfig.compilerOptions.noUnusedLocals).toBe(true);
    expect(tsconfig.compilerOptions.skipLibCheck).toBeUndefined();
    // eslint-disable-next-line no-console
    console.log(`cdk8s-only consumer: node_modules ${Math.round(duKb(path.join(project, 'node_modules')) / 1024)} MB, @nines/constructs ${Math.round(duKb(path.join(project, 'node_modules', '@nines')) / 1024)} MB`);

    // 2. Every TypeScript block of the README, the quickstart as main.ts; every example.
    const tsBlocks = blocks('ts');
    const quickstart = blocks('ts', 'Quickstart');
    expect(quickstart).toHaveLength(1);
    fs.writeFileSync(path.join(project, 'main.ts'), quickstart[0]);
    tsBlocks.filter(b => b !== quickstart[0]).forEach((b, i) => fs.writeFileSync(path.join(project, `readme-${i + 1}.ts`), b));
    fs.mkdirSync(path.join(project, 'examples'));
    for (const e of EXAMPLES) {
      const source = fs.readFileSync(path.join(ROOT, 'examples', e), 'utf8');
      expect(source).not.toMatch(/from '\.\.?\//); // imports the package by name only
      fs.writeFileSync(path.join(project, 'examples', e), source);
    }
    fs.writeFileSync(path.join(project, 'cdk8s.yaml'), blocks('yaml', 'Install')[0]);
    // compiles (and emits .js, as the template does) under the template's options
    timed('tsc', () => run('npx', ['tsc', '-p', 'tsconfig.json'], project));

    // 3. cdk8s synth: the quickstart exactly as the README sets it up ...
    const synth = timed('synth quickstart', () => runAll('npx cdk8s synth --no-check-upgrade', project));
    expect(synth).toMatch(/nines checks: \d+ objects, 0 errors/);
    const objs = parseAllDocuments(fs.readFileSync(path.join(project, 'dist', 'shop.k8s.yaml'), 'utf8')).map(d => d.toJS());
    const names = (kind: string) => objs.filter(o => o.kind === kind).map(o => o.metadata.name).sort();
    expect(names('Namespace')).toEqual(['orders']);
    expect(names('PriorityClass')).toEqual(['nines-critical', 'nines-high', 'nines-low', 'nines-medium']);
    expect(names('Deployment')).toEqual(['order-service']);
    const pod = objs.find(o => o.kind === 'Deployment').spec.template.spec;
    expect(names('PriorityClass')).toContain(pod.priorityClassName);
    expect(names('ServiceAccount')).toContain(pod.serviceAccountName);

    // ... and every example, from the JavaScript tsc emitted
    timed('synth examples', () => {
      for (const e of EXAMPLES) {
        const out = path.join(project, 'dist-examples', e.replace(/\.ts$/, ''));
        const log = runAll(`npx cdk8s synth --no-check-upgrade --app 'node examples/${e.replace(/\.ts$/, '.js')}' --output '${out}'`, project);
        expect({ example: e, errors: /nines checks: \d+ objects, (\d+) errors/.exec(log)?.[1] }).toEqual({ example: e, errors: '0' });
        const written = fs.readdirSync(out).filter(f => f.endsWith('.yaml'));
        expect({ example: e, files: written.length > 0 }).toEqual({ example: e, files: true });
      }
    });
  }, 4 * STEP_TIMEOUT);

  test('with the optional Pulumi peers installed, a program importing @nines/constructs/aws compiles', () => {
    // Node 20: the newest @pulumi/pulumi that supports it (see README, Install)
    const pulumi = Number(process.versions.node.split('.')[0]) < 22 ? '@pulumi/pulumi@3.248.0' : '@pulumi/pulumi';
    const log = timed('install pulumi', () => runAll(`npm install ${pulumi} @pulumi/aws@^7 @pulumi/kubernetes@^4`, project));
    expect(log).not.toMatch(/EBADENGINE|Unsupported engine/);
    fs.writeFileSync(path.join(project, 'aws.ts'), [
      "import { MultiAzVpc, Platform, planPlatform } from '@nines/constructs/aws';",
      '',
      "const platform = Platform.fromDescription({ environment: 'production', regions: [{ name: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '10.0.0.0/16' }] });",
      'export const plans = planPlatform(platform);',
      'export type Vpc = MultiAzVpc;',
      '',
    ].join('\n'));
    timed('tsc aws', () => run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit'], project));
  }, 2 * STEP_TIMEOUT);
});
