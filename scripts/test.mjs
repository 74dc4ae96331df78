#!/usr/bin/env node
// `npm test`: every test, in order — build, typecheck, unit tests (plain Node), then the end-to-end suite in a real
// VS Code (code-server + Chromium, installed on first use by test/e2e/setup.sh). Ends with one line adding them up.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const totals = path.join(repo, '.tmp', 'test-totals.jsonl');
fs.mkdirSync(path.dirname(totals), { recursive: true });
fs.rmSync(totals, { force: true });
const env = { ...process.env, RAPTOR_TEST_TOTALS: totals };
const skipE2e = process.argv.includes('--unit-only') || process.env.RAPTOR_SKIP_E2E === '1';

const steps = [
  ['build', ['npm', 'run', '--silent', 'build']],
  ['typecheck', ['npm', 'run', '--silent', 'typecheck']],
  ['unit', ['npx', 'mocha'], { RAPTOR_TEST_LABEL: 'unit' }],
  ...(skipE2e ? [] : [['e2e', ['npm', 'run', '--silent', 'test:e2e'], { RAPTOR_TEST_LABEL: 'e2e' }]]),
];

let failedStep;
for (const [name, [cmd, ...args], extra] of steps) {
  const t0 = Date.now();
  console.log(`\n▶ ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: repo, stdio: 'inherit', env: { ...env, ...extra } });
  console.log(`◀ ${name}: exit ${r.status} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (r.status !== 0) {
    failedStep = name;
    if (name === 'build' || name === 'typecheck') break;
  }
}
let passes = 0;
let failures = 0;
let pending = 0;
if (fs.existsSync(totals)) {
  for (const line of fs.readFileSync(totals, 'utf8').split('\n').filter(Boolean)) {
    const t = JSON.parse(line);
    passes += t.passes;
    failures += t.failures;
    pending += t.pending;
  }
}
if (failedStep && failures === 0) failures = 1; // a step that failed without reporting a failing test still fails the run
console.log(`\ntotal: ${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
process.exit(failedStep ? 1 : 0);
