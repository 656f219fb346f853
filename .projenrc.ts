import { JsonFile, javascript, typescript } from 'projen';

/** The Pulumi packages `@nines/constructs/aws` needs; optional peers of the package. */
const PULUMI_PEERS = ['@pulumi/pulumi@^3.142.0', '@pulumi/aws@^7.0.0', '@pulumi/kubernetes@^4.0.0'];

/**
 * The package's entry points (package.json `exports`), each with its declarations:
 * - `@nines/constructs/k8s`: everything that needs no Pulumi: the cdk8s constructs and checks,
 *   the core (platform description, tiers, errors), the renderers and the reliability math;
 * - `@nines/constructs`: the same as `/k8s` (kept so code written against the root works);
 * - `@nines/constructs/aws`: the Pulumi components and the CIDR plan, with the core (needs the
 *   optional Pulumi peers).
 */
const ENTRY_POINTS: Record<string, string> = { '.': 'index', './k8s': 'k8s/index', './aws': 'aws/index' };

/**
 * The single source of package.json, tsconfig*.json, jest and eslint settings.
 * Edit this file and run `npx projen` to regenerate them.
 */
const project = new typescript.TypeScriptProject({
  name: '@nines/constructs',
  description:
    'Hardened, highly available Kubernetes (cdk8s) and multi-AZ, multi-region AWS (Pulumi) constructs for a 99.95% uptime programme.',
  license: 'Apache-2.0',
  copyrightOwner: 'Nines contributors',
  authorName: 'Nines contributors',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  projenVersion: '0.103.25',
  typescriptVersion: '~5.9.3',
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.17.0',

  srcdir: 'lib',
  libdir: 'build',
  testdir: 'test',
  sampleCode: false,
  entrypoint: 'build/index.js',
  entrypointTypes: 'build/index.d.ts',

  // No hosted CI, release or dependency-upgrade workflows: `.ci/run` is the CI entry.
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  package: false,

  // cdk8s and constructs are the user's (one copy per app). The Pulumi SDK and providers are
  // optional peers: only `@nines/constructs/aws` imports them, so a cdk8s-only consumer installs
  // none of them (npm never installs an optional peer on its own).
  peerDeps: ['cdk8s@^2.70.0', 'constructs@^10.3.0', ...PULUMI_PEERS],
  // the versions the repo builds and tests with are the devDependencies below
  peerDependencyOptions: { pinnedDevDependency: false },
  deps: ['ip-num@^1.5.1', 'yaml@^2.5.0'],
  devDeps: [
    '@types/node@^20',
    // The newest @pulumi/pulumi whose `engines` admits Node 20 (3.249.0 and later declare
    // node >= 22): the repo's own install on a supported Node gives no engine warning.
    '@pulumi/pulumi@3.248.0',
    '@pulumi/aws@^7.0.0',
    '@pulumi/kubernetes@^4.0.0',
    // bench/ compares against cdk8s-plus; the library itself does not use it
    'cdk8s-plus-28@2.5.6',
    'typedoc@^0.28.0',
    'cdk8s@2.70.0',
    'constructs@10.3.0',
    'cdk8s-cli@^2.200.0',
    'fast-check@^4.0.0',
    // test/package/engines.test.ts compares the engines ranges of what a user installs
    'semver@^7',
    '@types/semver@^7',
    'kubernetes-models@4.5.1',
    '@kubernetes-models/istio@2.3.0',
    '@kubernetes-models/prometheus-operator@4.4.4',
    // system tests talk to the real daemons
    'pg@^8.13.0',
    '@types/pg@^8.11.0',
    'ioredis@^5.4.0',
  ],

  eslintOptions: { dirs: ['lib', 'stacks', 'examples'], devdirs: ['test', 'projenrc', 'bench'] },
  jestOptions: {
    jestVersion: '^30',
    passWithNoTests: false,
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/system/'],
      testTimeout: 60_000,
      collectCoverage: false,
    },
  },
  tsJestOptions: {
    transformOptions: { isolatedModules: true },
  },
  tsconfig: {
    compilerOptions: { skipLibCheck: true, esModuleInterop: true, lib: ['es2022'], target: 'ES2022' },
  },
  tsconfigDev: {
    compilerOptions: { skipLibCheck: true, esModuleInterop: true, lib: ['es2022'], target: 'ES2022' },
    include: ['../lib/**/*.ts', '../stacks/**/*.ts', '../examples/**/*.ts', '../bench/**/*.ts'],
  },
  gitignore: ['/dist/', '/build/', '/.bench/', '/docs/api/'],
});

project.addDevDeps('ts-jest@^29.4.0', '@types/jest@^30');

// The tarball holds the built library only: not the reference platform, examples, benchmarks,
// scripts, generated docs or the repo's own cdk8s/Pulumi project files.
for (const path of ['/stacks/', '/examples/', '/bench/', '/scripts/', '/docs/', '/.ci/', '/Pulumi*.yaml', '/cdk8s.yaml', '/typedoc.json', '/dist/']) {
  project.addPackageIgnore(path);
}

project.package.addField('exports', {
  ...Object.fromEntries(Object.entries(ENTRY_POINTS).map(([subpath, file]) => [subpath, {
    types: `./build/${file}.d.ts`,
    default: `./build/${file}.js`,
  }])),
  './package.json': './package.json',
});
// TypeScript's `node10` resolution (the default for `module: CommonJS`, as in cdk8s-cli's app
// template) does not read `exports`: `typesVersions` points it at the same declarations.
project.package.addField('typesVersions', {
  '*': Object.fromEntries(Object.entries(ENTRY_POINTS).filter(([p]) => p !== '.').map(([p, file]) => [p.slice(2), [`build/${file}.d.ts`]])),
});
// The Node versions every package a user installs accepts (test/package/engines.test.ts): the
// Pulumi SDK's npm libraries (@npmcli/*) declare ^20.17.0 || >=22.9.0, glob/minimatch/lru-cache
// skip Node 21. A wider range would let npm warn (EBADENGINE) on a version the library claims.
project.package.file.addOverride('engines.node', '^20.17.0 || >=22.9.0');
project.package.addField('peerDependenciesMeta', Object.fromEntries(
  PULUMI_PEERS.map(spec => [spec.slice(0, spec.lastIndexOf('@')), { optional: true }]),
));
// Inside the repo the package name resolves to the sources, so examples/ import it exactly as
// a user does (`@nines/constructs/k8s`) and still type-check and run in the tests.
const SOURCE_PATHS: Record<string, string[]> = Object.fromEntries(Object.entries(ENTRY_POINTS).map(([subpath, file]) =>
  [subpath === '.' ? '@nines/constructs' : `@nines/constructs/${subpath.slice(2)}`, [`lib/${file}.ts`]]));
project.tsconfigDev.file.addOverride('compilerOptions.baseUrl', '..');
project.tsconfigDev.file.addOverride('compilerOptions.paths', SOURCE_PATHS);
project.jest!.addModuleNameMappers(Object.fromEntries(Object.entries(ENTRY_POINTS).map(([subpath, file]) =>
  [`^@nines/constructs${subpath === '.' ? '' : `/${subpath.slice(2)}`}$`, `<rootDir>/lib/${file}.ts`])));
// system tests' scratch space (daemons' data dirs)
project.gitignore.exclude('test/system/.work/');

// stacks/, examples/ and bench/ are type-checked and linted like tests: each folder gets a
// tsconfig the eslint project service finds.
for (const dir of ['stacks', 'examples', 'bench']) {
  new javascript.TypescriptConfig(project, {
    fileName: `${dir}/tsconfig.json`,
    extends: javascript.TypescriptConfigExtends.fromPaths(['../tsconfig.json']),
    compilerOptions: { rootDir: '..', noEmit: true, baseUrl: '..', paths: SOURCE_PATHS },
    include: ['**/*.ts', '../lib/**/*.ts'],
  });
}

// Synthesize the reference platform (4 regions) into dist/ through the cdk8s CLI.
project.addTask('synth', {
  description: 'Synthesize the reference platform into dist/<region>/',
  exec: 'cdk8s synth --no-check-upgrade',
});
project.addTask('test:system', {
  description: 'System tests: real Patroni/etcd/PostgreSQL, Redis Sentinel and promtool on 127.0.0.1 (run scripts/install-system-deps.sh first)',
  exec: "jest --runInBand --testPathIgnorePatterns '/node_modules/' --testTimeout 600000 test/system",
});
project.addTask('bench', {
  description: 'Benchmark synthesis against plain ApiObjects and cdk8s-plus-28 (prints ratios)',
  exec: 'node --expose-gc -r ts-node/register/transpile-only bench/synth.bench.ts',
});
const typecheck = project.addTask('typecheck', {
  description: 'Type-check every TypeScript file once (jest only transpiles)',
  exec: 'tsc --noEmit -p test/tsconfig.json',
});
project.testTask.prependSpawn(typecheck);

// API reference from the TSDoc of the entry points (docs/api/, not committed). Part of
// `npm test`, so a TSDoc error fails CI.
const docs = project.addTask('docs', {
  description: 'Generate the API reference (TypeDoc) into docs/api/',
  exec: 'typedoc',
});
project.testTask.spawn(docs);
new JsonFile(project, 'typedoc.json', {
  marker: false, // typedoc refuses unknown keys such as projen's "//"
  obj: {
    $schema: 'https://typedoc.org/schema.json',
    // the root re-exports /k8s: documenting it again would list every symbol twice
    entryPoints: Object.entries(ENTRY_POINTS).filter(([subpath]) => subpath !== '.').map(([, file]) => `lib/${file}.ts`),
    tsconfig: 'tsconfig.json',
    out: 'docs/api',
    name: '@nines/constructs',
    readme: 'none',
    excludePrivate: true,
    excludeInternal: true,
    // A warning (a public type referencing one that is not exported, a broken {@link}) fails the
    // task like an error: the reference must document every type a user meets.
    treatWarningsAsErrors: true,
    externalSymbolLinkMappings: { '@pulumi/pulumi': { CustomResource: 'https://www.pulumi.com/docs/reference/pkg/nodejs/pulumi/pulumi/#CustomResource' } },
  },
});

// examples/ import the package by name: the import resolver reads the paths examples/tsconfig.json maps.
project.eslint?.file.addOverride('settings.import/resolver.typescript.project', ['./tsconfig.json', './examples/tsconfig.json']);

project.synth();
