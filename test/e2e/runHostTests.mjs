// Mocha inside the REAL VS Code extension host (code-server), same contract as test-electron's runTests:
// the tests module exports run(); the exit code is propagated (a failing suite exits 1).
// usage: node test/e2e/runHostTests.mjs <workspaceFolder> [port]
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { startCodeServer, workbenchUrl, launchChromium, NOISE, EXT_DIR, HERE } from './harness.mjs';
import { removeDir } from './harness.mjs';

/** Tests counted across every in-host suite run by this process. */
export const hostTotals = { passing: 0, failing: 0, pending: 0 };

export async function runHostTests({ folder, workspace, suite = 'suite', port = 8171, vsix = [], settings = {}, workspaceTrust = false, timeoutMs = Number(process.env.RAPTOR_E2E_TIMEOUT_MS || 480000) }) {
  const t0 = Date.now();
  const step = (m) => console.log(`[host-tests ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  let code = 1, cs, browser;
  try {
    cs = await startCodeServer({ port, settings, vsix, workspaceTrust });
    step(`code-server up on :${port}`);
    browser = await launchChromium();
    const page = await browser.newPage();
    const done = new Promise((resolve) => {
      void page.exposeFunction('codeAutomationExit', (c) => resolve(c));
      void page.exposeFunction('codeAutomationLog', (_type, args) => {
        const s = util.format(...args);
        // Mocha's closing counts inside the host, summed for npm test's total line.
        const counted = /^\s*(\d+) (passing|failing|pending)\b/.exec(s);
        if (counted) hostTotals[counted[2]] += Number(counted[1]);
        if (process.env.VERBOSE || !NOISE.test(s)) console.log(s);
      });
    });
    await page.goto(workbenchUrl(cs, { folder, workspace, devPath: EXT_DIR, testsPath: path.join(HERE, suite, 'index.js') }));
    step('workbench opened; the suite runs in the extension host');
    code = await Promise.race([done, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    step(`extension host exited with code ${code}`);
    if (code !== 0) {
      fs.mkdirSync(path.join(HERE, 'screenshots'), { recursive: true });
      await page.screenshot({ path: path.join(HERE, 'screenshots', 'host-tests-failure.png') });
    }
  } catch (e) {
    console.error('host-tests runner error:', e);
  } finally {
    await browser?.close().catch(() => {});
    await cs?.stop();
    if (code !== 0 && cs && process.env.SHOW_SERVER_LOG) console.log(cs.log());
    removeDir(cs?.runDir);
  }
  return code === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = await runHostTests({ folder: path.resolve(process.argv[2]), port: Number(process.argv[3] || 8171) });
  process.exit(ok ? 0 : 1);
}
