// Drives the real workbench (code-server + chromium via playwright-core) like a user: the welcome view's Index
// Workspace button, the status bar, Pause/Resume buttons of the dashboard, a window reload mid-run and the resume
// prompt, the failed document and its inline Retry. Screenshots go to test/e2e/screenshots/ (git-ignored).
// usage: node test/e2e/uiTest.mjs [port]        (RAPTOR_E2E_VSIX=raptor-index.vsix to test the package)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startCodeServer, workbenchUrl, launchChromium, EXT_DIR, HERE } from './harness.mjs';
import { removeDir } from './harness.mjs';
import { makeWorkspace } from './fixtures.mjs';

const SHOTS = path.join(HERE, 'screenshots');

export async function runUiTest({ port = 8172, count = Number(process.env.RAPTOR_E2E_UI_DOCS || 160) } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const fixture = makeWorkspace('ui', { count });
  const t0 = Date.now();
  const step = (m) => console.log(`[ui ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  let ok = false, cs, browser, page;
  try {
    // RAPTOR_E2E_VSIX=file.vsix tests the packaged extension, installed as a user would (no development path).
    const vsix = process.env.RAPTOR_E2E_VSIX ? path.resolve(process.env.RAPTOR_E2E_VSIX) : undefined;
    cs = await startCodeServer({ port, vsix: vsix ? [vsix] : [], smokeDriver: !vsix });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    page.on('pageerror', (e) => console.log('  [pageerror]', e.message.slice(0, 200)));
    await page.goto(workbenchUrl(cs, { folder: fixture.ws, devPath: vsix ? undefined : EXT_DIR }));
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });

    const activity = page.locator('.activitybar .action-item a[aria-label^="RAPTOR"]').first();
    await activity.waitFor({ state: 'visible', timeout: 60000 });
    await activity.click();
    const sidebar = page.locator('#workbench\\.parts\\.sidebar');
    const welcome = sidebar.locator('.welcome-view-content', { hasText: 'No RAPTOR index' });
    await welcome.waitFor({ timeout: 30000 });
    step('activated: RAPTOR view shows the welcome with its Index Workspace button');
    await page.screenshot({ path: path.join(SHOTS, 'welcome.png') });
    await welcome.locator('.monaco-button', { hasText: 'Index Workspace' }).click();

    const statusItem = page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: /\d+\/\d+/ }).first();
    await statusItem.waitFor({ timeout: 60000 });
    await statusItem.locator('.codicon-sync.codicon-modifier-spin').waitFor({ timeout: 30000 });
    const runningText = await statusItem.innerText();
    if (!/^\d+\/\d+( · [\d.]+[kM]? tok)?/.test(runningText.trim())) throw new Error(`unexpected status bar text "${runningText}"`);
    step(`status bar while running: "${runningText.trim()}" (spinning sync icon)`);
    const row = (text) => sidebar.locator('.monaco-list-row', { hasText: text }).first();
    await row(/^Running \(\d+\)/).waitFor({ timeout: 30000 });

    // Pause from the dashboard's button.
    await statusItem.click(); // the status bar item opens the dashboard
    const dash = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await dash.locator('#task-state', { hasText: /running/i }).waitFor({ timeout: 30000 });
    await dash.locator('#pause').click();
    await dash.locator('#task-state', { hasText: /paused/i }).waitFor({ timeout: 30000 });
    await page.locator('#workbench\\.parts\\.statusbar .statusbar-item .codicon-debug-pause').first().waitFor({ timeout: 15000 });
    await row('Running (0)').waitFor({ timeout: 15000 });
    await sidebar.locator('.tree-explorer-viewlet-tree-view-message, .message', { hasText: /Paused with/ }).first().waitFor({ timeout: 15000 });
    const pausedText = (await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: /\d+\/\d+/ }).first().innerText()).trim();
    step(`paused from the dashboard: #task-state paused, status bar "${pausedText}" with the pause icon, tree says paused`);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-paused.png') });

    // Resume, then reload the window mid-run: the closing window pauses the task, the next one offers to resume.
    await dash.locator('#resume').click();
    await dash.locator('#task-state', { hasText: /running/i }).waitFor({ timeout: 30000 });
    step('resumed from the dashboard');
    await page.waitForTimeout(1000);
    await page.reload();
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    step('window reloaded mid-run');
    let prompt = await resumePrompt(page, /indexing of ws is paused .*Resume\?/);
    const laterText = (await prompt.locator('.notification-list-item-message').innerText()).trim();
    step(`resume prompt: "${laterText}" -> Later`);
    const doneAtReload = Number(/\((\d+)\//.exec(laterText)[1]);
    await prompt.locator('.monaco-button', { hasText: 'Later' }).click();
    await page.keyboard.press('Escape');

    // Resume from the palette, then kill the extension host (SIGKILL: no deactivate, the worker dies with it).
    await runCommand(page, 'RAPTOR: Resume');
    const progressed = page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { has: page.locator('.codicon-sync.codicon-modifier-spin') }).first();
    let doneAtKill = doneAtReload;
    // Kill once a few more documents are done. A short read timeout: once the run ends the spinner is gone, and a
    // default (30 s) wait per poll would turn that into a hang rather than a failure.
    for (let i = 0; doneAtKill < doneAtReload + 3; i++) {
      if (i > 600) throw new Error('the resumed run made no progress (or finished before it could be killed)');
      const m = /(\d+)\/\d+/.exec(await progressed.innerText({ timeout: 200 }).catch(() => ''));
      doneAtKill = m ? Number(m[1]) : doneAtKill;
      await page.waitForTimeout(100);
    }
    const killed = killExtensionHosts(cs.proc.pid);
    step(`killed the extension host mid-run at ${doneAtKill} documents done (SIGKILL pid ${killed.join(', ')})`);
    await page.reload();
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    // The engine reports a writer that died as paused-by-interruption or still running; either way nothing is lost.
    prompt = await resumePrompt(page, /indexing of ws (was interrupted|is paused) \((\d+)\/\d+ documents done\)\. Resume\?/);
    const crashText = (await prompt.locator('.notification-list-item-message').innerText()).trim();
    const doneAfterCrash = Number(/\((\d+)\//.exec(crashText)[1]);
    if (doneAfterCrash < doneAtKill) throw new Error(`work was lost in the crash: ${doneAtKill} done before, ${doneAfterCrash} after`);
    step(`after the crash: "${crashText}" (nothing lost) -> Resume`);
    await prompt.locator('.monaco-button', { hasText: 'Resume' }).click();
    await page.keyboard.press('Escape');

    await page.locator('#workbench\\.parts\\.statusbar .statusbar-item .codicon-check').first().waitFor({ timeout: 300000 });
    const doneText = (await page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: /\d+\/\d+/ }).first().innerText()).trim();
    step(`completed after resume: status bar "${doneText}"`);
    await showRaptorView(page, activity);
    const total = fixture.documents;
    await row(`Completed (${total - 1})`).waitFor({ timeout: 30000 });
    await row('Failed (1)').waitFor({ timeout: 30000 });
    const failedRow = row('blank.md');
    await failedRow.waitFor({ timeout: 15000 });
    const description = await failedRow.locator('.label-description').innerText();
    if (!/text/i.test(description)) throw new Error(`blank.md's row does not show its error: "${description}"`);
    step(`tree: Completed (${total - 1}), Failed (1): blank.md — "${description}"`);
    await page.screenshot({ path: path.join(SHOTS, 'tree-failed.png') });

    // Fix the document, then its inline Retry action.
    fs.writeFileSync(path.join(fixture.ws, 'blank.md'), '# Notes\n\nThis document now has text to index.\n');
    await row(/blank\.md\s*changed since/).waitFor({ timeout: 15000 }); // the file watcher saw the change
    await failedRow.hover();
    await failedRow.locator('.action-label[aria-label="Retry Document"]').click();
    await row(`Completed (${total})`).waitFor({ timeout: 60000 });
    await row('Failed (0)').waitFor({ timeout: 10000 });
    if (await row(/^Stale/).isVisible()) throw new Error('a re-indexed document is still shown as stale');
    step(`retried blank.md: tree shows Completed (${total}), Failed (0)`);
    await page.screenshot({ path: path.join(SHOTS, 'tree-completed.png') });

    // Search: a QuickPick over every layer; picking a chunk opens its document.
    await runCommand(page, 'RAPTOR: Search Index', { closes: false });
    await page.locator('.quick-input-widget', { hasText: 'Search every layer' }).waitFor({ timeout: 10000 });
    const searchInput = page.locator('.quick-input-widget .quick-input-box input');
    await searchInput.fill('tariffs and trade with other nations');
    await page.keyboard.press('Enter');
    const hit = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: /score/ }).first();
    await hit.waitFor({ timeout: 30000 });
    const hits = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').count();
    step(`search: ${hits} results, first "${(await hit.innerText()).replace(/\s+/g, ' ').slice(0, 120)}"`);
    await page.screenshot({ path: path.join(SHOTS, 'search.png') });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10000 });
    await page.locator('.tabs-container .tab', { hasText: /\.txt|Layer|Chunk/ }).first().waitFor({ timeout: 15000 });
    step('the picked result opened in an editor');
    ok = true;
  } catch (e) {
    console.error('UI test FAILED:', e.message);
    await page?.screenshot({ path: path.join(SHOTS, 'ui-failure.png') }).catch(() => {});
    if (process.env.SHOW_SERVER_LOG) console.log(cs?.log());
  } finally {
    await browser?.close().catch(() => {});
    await cs?.stop();
    removeDir(cs?.runDir);
    removeDir(fixture.dir);
    step(ok ? 'DONE (ok)' : 'DONE (failed)');
  }
  return ok;
}

/** The resume notification, read in the Notification Centre (smoke-driver mode hides toasts). */
async function resumePrompt(page, text) {
  await runCommand(page, 'Notifications: Show Notifications');
  const prompt = page.locator('.notifications-center .notification-list-item', { hasText: text }).first();
  await prompt.waitFor({ timeout: 60000 });
  return prompt;
}

/** SIGKILL the extension host processes of our code-server (its own process group). */
function killExtensionHosts(groupId) {
  const lines = execFileSync('ps', ['-eo', 'pid=,pgid=,args=']).toString().split('\n');
  const pids = lines
    .map((l) => l.trim().split(/\s+/))
    .filter(([, pgid, ...args]) => Number(pgid) === groupId && args.join(' ').includes('extensionHost'))
    .map(([pid]) => Number(pid));
  if (pids.length === 0) throw new Error('found no extension host process to kill');
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids;
}

/** Open the RAPTOR sidebar unless it is already showing (clicking its activity item again would close it). */
export async function showRaptorView(page, activity) {
  const title = page.locator('#workbench\\.parts\\.sidebar .composite.title', { hasText: /RAPTOR/i }).first();
  if (!(await title.isVisible().catch(() => false))) await activity.click();
  await title.waitFor({ timeout: 15000 });
}

export async function runCommand(page, title, { closes = true } = {}) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // A view restored after a reload (the dashboard webview) can take focus and close the palette as it opens: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 10000 });
      await input.fill('>' + title, { timeout: 5000 });
      await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
  await page.keyboard.press('Enter');
  if (closes) await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10000 });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit((await runUiTest({ port: Number(process.argv[2] || 8172) })) ? 0 : 1);
}
