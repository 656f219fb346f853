/**
 * "Installing on any supported Node version gives no engine warning": npm warns (EBADENGINE)
 * when the running Node is outside a package's `engines.node`. Only one Node runs here, so the
 * test compares ranges instead: every package a user installs with the library (its
 * dependencies and peer dependencies, the optional Pulumi peers included, and everything they
 * pull in, at the versions of the lockfile) must accept every Node version the library's own
 * `engines.node` accepts (the library's range is a subset of each package's range).
 *
 * @see https://docs.npmjs.com/cli/v10/configuring-npm/package-json#engines
 * @see https://github.com/npm/npm-install-checks/blob/main/lib/index.js (checkEngine: semver.satisfies(node, engines.node), a warning unless engine-strict)
 */
import * as fs from 'fs';
import * as path from 'path';
import * as semver from 'semver';

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));

interface LockEntry {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | string[];
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const packages: Record<string, LockEntry> = lock.packages;

/** Where Node (and npm's tree) finds `name` from the package at `from` (a lockfile key). */
function resolve(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
  }
}

/** The lockfile keys of everything a user installs: dependencies, peers, and their own, transitively. */
function installedWithTheLibrary(): string[] {
  const seen = new Set<string>();
  const queue: Array<[string, string]> = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies }).map(n => ['', n]);
  while (queue.length > 0) {
    const [from, name] = queue.shift()!;
    const key = resolve(from, name);
    if (!key) {
      if (from === '') throw new Error(`${name} is not in package-lock.json`);
      continue; // an optional dependency for another platform
    }
    if (seen.has(key)) continue;
    seen.add(key);
    const e = packages[key];
    const required = Object.keys(e.peerDependencies ?? {}).filter(p => !e.peerDependenciesMeta?.[p]?.optional);
    for (const dep of [...Object.keys(e.dependencies ?? {}), ...Object.keys(e.optionalDependencies ?? {}), ...required]) queue.push([key, dep]);
  }
  return [...seen].sort();
}

describe('engines: every supported Node installs without an engine warning', () => {
  const ours: string = pkg.engines.node;
  const installed = installedWithTheLibrary();

  test('the library declares Node 20.17+, 22.9+ and later (20, 22 and 24 are the supported majors)', () => {
    expect(ours).toBe('^20.17.0 || >=22.9.0');
    for (const v of ['20.17.0', '22.9.0', '24.0.0', process.versions.node]) expect(semver.satisfies(v, ours)).toBe(true);
    for (const v of ['20.16.0', '21.7.0', '22.8.0']) expect(semver.satisfies(v, ours)).toBe(false);
  });

  test('the tree a user installs is the dependencies, the peers and what they pull in', () => {
    for (const name of ['yaml', 'ip-num', 'cdk8s', 'constructs', '@pulumi/pulumi', '@pulumi/aws', '@pulumi/kubernetes']) {
      expect(installed).toContain(`node_modules/${name}`);
    }
    expect(installed.length).toBeGreaterThan(50);
  });

  test('every installed package accepts every Node version the library accepts', () => {
    const refusing = installed.flatMap(key => {
      const engines = packages[key].engines;
      const range = engines && !Array.isArray(engines) ? engines.node : undefined;
      if (range === undefined) return [];
      const ok = semver.validRange(range) !== null && semver.subset(ours, range, { includePrerelease: false });
      return ok ? [] : [`${key.replace(/^.*node_modules\//, '')}@${packages[key].version} engines.node ${JSON.stringify(range)}`];
    });
    expect(refusing).toEqual([]);
  });

  test('the lockfile agrees with what npm installed (engines read from node_modules)', () => {
    for (const key of installed) {
      const file = path.join(ROOT, key, 'package.json');
      if (!fs.existsSync(file)) continue;
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      expect({ key, version: manifest.version, node: manifest.engines?.node })
        .toEqual({ key, version: packages[key].version, node: (packages[key].engines as { node?: string } | undefined)?.node });
    }
  });
});
