import * as fs from 'fs';
import * as path from 'path';

/**
 * With `stripInternal`, a JSDoc comment carrying `@internal` attaches to the statement after it:
 * a file header written that way before the imports strips the first import from the published
 * .d.ts, and every public declaration using it stops compiling for users (no skipLibCheck).
 * test/system/package.test.ts proves the published declarations compile; this finds the cause
 * in a second.
 */
function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

test('no @internal JSDoc comment sits right before an import (stripInternal would drop the import)', () => {
  const lib = path.join(__dirname, '..', '..', 'lib');
  const offenders = files(lib).filter(f => /\/\*\*(?:(?!\*\/)[\s\S])*@internal(?:(?!\*\/)[\s\S])*\*\/\s*import\s/.test(fs.readFileSync(f, 'utf8')))
    .map(f => path.relative(lib, f));
  expect(offenders).toEqual([]);
});
