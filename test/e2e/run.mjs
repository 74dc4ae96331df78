// `npm run test:e2e`: the in-host Mocha suite, the Playwright UI test and the remote-provider test, each in a fresh
// real VS Code.  `node test/e2e/run.mjs host|multiroot|ui|provider` runs one.
import fs from 'node:fs';
import path from 'node:path';
import { EXT_DIR, removeDir } from './harness.mjs';
import { makeWorkspace } from './fixtures.mjs';
import { runHostTests } from './runHostTests.mjs';
import { runUiTest } from './uiTest.mjs';
import { runProviderTest } from './providerTest.mjs';

for (const f of ['dist/extension.js', 'dist/engineWorker.js', 'dist/sql-wasm.wasm']) {
  if (!fs.existsSync(path.join(EXT_DIR, f))) {
    console.error(`${f} is missing; run npm run build first.`);
    process.exit(2);
  }
}
const t0 = Date.now();
const only = process.argv[2]; // 'host' | 'multiroot' | 'ui' | 'provider' | undefined (all)
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
if (!only || only === 'ui') ok = (await runUiTest()) && ok;
if (!only || only === 'provider') ok = (await runProviderTest()) && ok;
console.log(`e2e ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
process.exit(ok ? 0 : 1);
