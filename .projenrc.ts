import { javascript, typescript } from 'projen';

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
  minNodeVersion: '20.0.0',

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

  peerDeps: ['cdk8s@^2.70.0', 'cdk8s-plus-28@^2.5.6', 'constructs@^10.3.0'],
  deps: ['@pulumi/pulumi@^3.276.0', '@pulumi/aws@^7.0.0', '@pulumi/kubernetes@^4.0.0', 'ip-num@^1.5.1', 'yaml@^2.5.0'],
  devDeps: [
    '@types/node@^20',
    'cdk8s@2.70.98',
    'cdk8s-plus-28@2.5.6',
    'constructs@^10.3.0',
    'cdk8s-cli@^2.200.0',
    'fast-check@^4.0.0',
    'kubernetes-models@4.5.1',
    '@kubernetes-models/istio@2.3.0',
    '@kubernetes-models/prometheus-operator@4.4.4',
    // system tests talk to the real daemons
    'pg@^8.13.0',
    '@types/pg@^8.11.0',
    'ioredis@^5.4.0',
  ],

  eslintOptions: { dirs: ['lib', 'stacks', 'examples', 'bench'], devdirs: ['test', 'projenrc'] },
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
  gitignore: ['/dist/', '/build/', '/.bench/'],
});

project.addDevDeps('ts-jest@^29.4.0', '@types/jest@^30');
// system tests' scratch space (daemons' data dirs)
project.gitignore.exclude('test/system/.work/');

// stacks/, examples/ and bench/ are type-checked and linted like tests: each folder gets a
// tsconfig the eslint project service finds.
for (const dir of ['stacks', 'examples', 'bench']) {
  new javascript.TypescriptConfig(project, {
    fileName: `${dir}/tsconfig.json`,
    extends: javascript.TypescriptConfigExtends.fromPaths(['../tsconfig.json']),
    compilerOptions: { rootDir: '..', noEmit: true },
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

project.synth();
