// `npm run test:e2e`: the in-host Mocha suite, the Playwright UI test and the remote-provider test, each in a fresh
// real VS Code.  `node test/e2e/run.mjs host|multiroot|lm|restricted|ui|provider` runs one.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { EXT_DIR, HERE, REPO, removeDir } from './harness.mjs';
import { makeWorkspace } from './fixtures.mjs';
import { hostTotals, runHostTests } from './runHostTests.mjs';
import { runUiTest } from './uiTest.mjs';
import { runProviderTest } from './providerTest.mjs';
import http from 'node:http';

/** A loopback HTTP server that answers 500 to everything and counts the requests; GET /count reads the count. */
function startRequestCounter() {
  let requests = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/count') {
      res.end(JSON.stringify({ requests }));
      return;
    }
    requests++;
    res.statusCode = 500;
    res.end('{"error":{"message":"this server should never have been asked"}}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) })),
  );
}

for (const f of ['dist/extension.js', 'dist/engineWorker.js', 'dist/sql-wasm.wasm']) {
  if (!fs.existsSync(path.join(EXT_DIR, f))) {
    console.error(`${f} is missing; run npm run build first.`);
    process.exit(2);
  }
}
const t0 = Date.now();
const only = process.argv[2]; // 'host' | 'multiroot' | 'lm' | 'restricted' | 'ui' | 'provider' | undefined (all)
let ok = true;
if (!only || only === 'host') {
  const fixture = makeWorkspace('host', { count: Number(process.env.RAPTOR_E2E_HOST_DOCS || 40) });
  ok = (await runHostTests({ folder: fixture.ws })) && ok;
  removeDir(fixture.dir);
}
if (!only || only === 'multiroot') {
  const one = makeWorkspace('root-a', { count: 3 });
  const two = makeWorkspace('root-b', { count: 3 });
  const file = path.join(one.dir, 'two-folders.code-workspace');
  fs.writeFileSync(file, JSON.stringify({ folders: [{ path: one.ws, name: 'alpha' }, { path: two.ws, name: 'beta' }] }));
  ok = (await runHostTests({ workspace: file, suite: 'suite-multiroot', port: 8174 })) && ok;
  removeDir(one.dir);
  removeDir(two.dir);
}
if (!only || only === 'lm') {
  // Two windows on one folder, with a fake chat model (test/e2e/fake-lm) loaded beside RAPTOR: see suite-lm/lm.e2e.js.
  const fixture = makeWorkspace('lm', {
    count: 3,
    settings: {
      'raptor.summarizer': 'vscode-lm:raptor-e2e/fake-family',
      'raptor.maxRetries': 0,
      'raptor.autoResume': true,
      'raptor.confirmAboveTokens': 100000000,
    },
  });
  fs.rmSync(path.join(fixture.ws, 'blank.md'));
  const settingsFile = path.join(fixture.ws, '.vscode', 'settings.json');
  const base = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  // The fake model's extension is installed from a .vsix: the web workbench keeps only one extensionDevelopmentPath.
  const vsix = path.join(fixture.dir, 'fake-lm.vsix');
  execFileSync(path.join(REPO, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], {
    cwd: path.join(HERE, 'fake-lm'),
    stdio: 'pipe',
  });
  const lm = { suite: 'suite-lm', port: 8175, vsix: [vsix], settings: { 'chat.disableAIFeatures': false } };
  for (const [phase, extra] of [[1, {}], [2, { 'raptorE2e.fakeLmMode': 'noPermissions' }]]) {
    fs.writeFileSync(settingsFile, JSON.stringify({ ...base, 'raptorE2e.phase': phase, ...extra }, null, 2));
    const passed = await runHostTests({ folder: fixture.ws, ...lm });
    ok = passed && ok;
    if (!passed) break;
  }
  removeDir(fixture.dir);
}
if (!only || only === 'restricted') {
  // Restricted Mode: an untrusted folder whose own settings point RAPTOR at a server (a loopback one that counts what
  // reaches it). See suite-restricted/restricted.e2e.js.
  const counter = await startRequestCounter();
  const fixture = makeWorkspace('restricted', {
    count: 3,
    settings: { 'raptor.summarizer': 'openai:m', 'raptor.embedder': 'openai:e', 'raptor.provider.baseUrl': `${counter.url}/v1`, 'raptorE2e.counterUrl': counter.url },
  });
  fs.rmSync(path.join(fixture.ws, 'blank.md'));
  ok = (await runHostTests({ folder: fixture.ws, suite: 'suite-restricted', port: 8176, workspaceTrust: true })) && ok;
  await counter.close();
  removeDir(fixture.dir);
}
// The UI and provider tests are scripted journeys: each counts as one test.
const journeys = { passing: 0, failing: 0 };
const journey = async (run) => {
  const passed = await run();
  journeys[passed ? 'passing' : 'failing']++;
  return passed;
};
if (!only || only === 'ui') ok = (await journey(runUiTest)) && ok;
if (!only || only === 'provider') ok = (await journey(runProviderTest)) && ok;
const passes = hostTotals.passing + journeys.passing;
const failures = hostTotals.failing + journeys.failing + (ok || hostTotals.failing + journeys.failing ? 0 : 1);
console.log(`e2e: ${passes} passed, ${failures} failed${hostTotals.pending ? `, ${hostTotals.pending} skipped` : ''}`);
if (process.env.RAPTOR_TEST_TOTALS) {
  fs.appendFileSync(process.env.RAPTOR_TEST_TOTALS, JSON.stringify({ label: 'e2e', passes, failures, pending: hostTotals.pending }) + '\n');
}
console.log(`e2e ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
process.exit(ok ? 0 : 1);
