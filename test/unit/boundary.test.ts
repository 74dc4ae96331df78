// The engine is plain TypeScript: no `vscode` and no DOM. Convention-only boundaries erode, so check it.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture boundary', () => {
  const root = path.join(__dirname, '..', '..');
  for (const folder of ['src/engine', 'src/protocol', 'src/cli']) {
    it(`${folder} imports nothing from vscode`, () => {
      const offenders = files(path.join(root, folder)).filter((f) =>
        /(?:from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/.test(fs.readFileSync(f, 'utf8')),
      );
      assert.deepEqual(offenders, []);
    });
  }
  it('finds the engine sources it checks (the check cannot pass vacuously)', () => {
    assert.ok(files(path.join(root, 'src/engine')).length >= 3);
  });
});
