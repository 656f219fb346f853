/**
 * Golden comparison: the synthesized reference platform (every file `npm run synth` writes to
 * dist/) must stay byte-identical to test/golden/dist. A refactor keeps it; a bug fix changes it
 * in a commit of its own (`bash scripts/golden.sh`) whose message gives the reason.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const GOLDEN = path.join(ROOT, 'test', 'golden', 'dist');

function files(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p, base) : [path.relative(base, p)];
  }).sort();
}

describe('golden: the reference platform synthesizes byte-identical to test/golden/dist', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nines-golden-'));
  beforeAll(() => {
    execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'stacks/main.ts'], {
      cwd: ROOT, env: { ...process.env, CDK8S_OUTDIR: out }, stdio: ['ignore', 'ignore', 'pipe'],
    });
  }, 120_000);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  test('the same files', () => {
    const golden = files(GOLDEN);
    expect(golden.length).toBeGreaterThan(100);
    expect(files(out)).toEqual(golden);
  });

  test('every file byte-identical', () => {
    const changed = files(GOLDEN).filter(f => {
      const actual = path.join(out, f);
      return !fs.existsSync(actual) || !fs.readFileSync(actual).equals(fs.readFileSync(path.join(GOLDEN, f)));
    });
    expect(changed).toEqual([]);
  });
});
