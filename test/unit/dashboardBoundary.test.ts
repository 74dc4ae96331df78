// The page runs in a browser and the protocol is shared by host and page: keep both free of what the other side lacks.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const importsOf = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);

describe('dashboard boundaries', () => {
  it('the page imports neither vscode nor Node built-ins', () => {
    const files = tsFiles(path.join(root, 'webview'));
    assert.ok(files.length >= 3, 'the page sources were found');
    const offenders = files.flatMap((f) =>
      importsOf(f)
        .filter((m) => m === 'vscode' || m.startsWith('node:') || ['fs', 'path', 'crypto', 'child_process'].includes(m))
        .map((m) => `${path.relative(root, f)}: ${m}`),
    );
    assert.deepEqual(offenders, []);
  });

  it('the shared protocol uses no DOM and no Node built-ins', () => {
    const files = tsFiles(path.join(root, 'src/protocol'));
    assert.ok(files.length >= 2);
    for (const f of files) {
      const code = fs
        .readFileSync(f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      assert.ok(!/\b(?:document|window|navigator)\.[A-Za-z]|\b(?:HTMLElement|MessageEvent|acquireVsCodeApi)\b/.test(code), `${f} touches the DOM`);
      assert.deepEqual(importsOf(f).filter((m) => m.startsWith('node:') || m === 'vscode'), [], f);
    }
  });
});
