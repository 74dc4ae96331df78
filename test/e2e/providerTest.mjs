// A remote provider end to end: the loopback OpenAI-compatible server (test/support/openaiServer.ts) requires a key;
// the key is entered with "RAPTOR: Set API Key" (SecretStorage), reaches the engine worker through its env, and
// must appear in no settings or log file. Before the run, Index Workspace shows its cost estimate and asks (Cancel sends
// nothing; Continue runs).
// usage: node test/e2e/providerTest.mjs [port]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { startCodeServer, workbenchUrl, launchChromium, removeDir, EXT_DIR, HERE, REPO } from './harness.mjs';
import { makeWorkspace } from './fixtures.mjs';
import { runCommand } from './uiTest.mjs';

const KEY = 'sk-raptor-e2e-7f3a9c';

function grepTree(dir, needle) {
  const hits = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.statSync(p).size < 20e6 && fs.readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

export async function runProviderTest({ port = 8173 } = {}) {
  const t0 = Date.now();
  const step = (m) => console.log(`[provider ${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
  const server = spawn(path.join(REPO, 'node_modules', '.bin', 'tsx'), ['test/support/openaiServer.ts', '--port', '0', '--latency', '30', '--api-key', KEY], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const url = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (c) => reject(new Error(`the OpenAI test server exited (${c})`)));
  });
  const fixture = makeWorkspace('provider', {
    count: 4,
    settings: {
      'raptor.summarizer': 'openai:e2e-chat',
      'raptor.embedder': 'openai:e2e-embed',
      'raptor.provider.baseUrl': url,
      'raptor.provider.apiKeyEnv': 'RAPTOR_E2E_API_KEY',
      'raptor.maxRetries': 0,
      'raptor.confirmAboveTokens': 0,
    },
  });
  fs.rmSync(path.join(fixture.ws, 'blank.md'));
  let ok = false, cs, browser, page;
  try {
    step(`OpenAI-compatible test server at ${url} (requires the key)`);
    cs = await startCodeServer({ port });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(workbenchUrl(cs, { folder: fixture.ws, devPath: EXT_DIR }));
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    await page.locator('.activitybar .action-item a[aria-label^="RAPTOR"]').first().waitFor({ state: 'visible', timeout: 60000 });

    await runCommand(page, 'RAPTOR: Set API Key', { closes: false });
    await page.locator('.quick-input-widget', { hasText: 'SecretStorage' }).waitFor({ timeout: 10000 });
    await page.locator('.quick-input-widget .quick-input-box input[type="password"]').fill(KEY);
    await page.keyboard.press('Enter');
    await runCommand(page, 'Notifications: Show Notifications');
    await page.locator('.notifications-center .notification-list-item-message', { hasText: 'API key saved in SecretStorage' }).first().waitFor({ timeout: 15000 });
    await page.keyboard.press('Escape');
    step('key stored with RAPTOR: Set API Key');

    // raptor.confirmAboveTokens is 0: Index Workspace estimates the run and asks first. Cancel sends nothing.
    const costDialog = async () => {
      await runCommand(page, 'RAPTOR: Index Workspace');
      const dialog = page.locator('.monaco-dialog-box', { hasText: /Index 4 documents: about \d+ calls and [\d.]+k? tokens \([\d.]+k? prompt \/ [\d.]+k? completion \/ [\d.]+k? embedding\)\. Continue\?/ });
      await dialog.waitFor({ timeout: 60000 });
      return dialog;
    };
    let dialog = await costDialog();
    const question = (await dialog.locator('.dialog-message-text').innerText()).trim();
    fs.mkdirSync(path.join(HERE, 'screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(HERE, 'screenshots', 'cost-confirmation.png') });
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10000 });
    await page.waitForTimeout(1000);
    const before = await (await fetch(url.replace(/\/v1$/, '') + '/stats')).json();
    if (before.chatRequests + before.embeddingRequests > 0) throw new Error(`Cancel at the cost question still sent ${before.chatRequests + before.embeddingRequests} request(s)`);
    step(`cost question "${question}" -> Cancel: no request sent`);
    dialog = await costDialog();
    await dialog.locator('.monaco-button', { hasText: 'Continue' }).click();
    step('asked again -> Continue');
    const done = page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { has: page.locator('.codicon-check') }).first();
    await done.waitFor({ timeout: 120000 });
    const text = (await done.innerText()).trim();
    if (!/^\d+\/\d+ · [\d.]+k? tok$/.test(text) || /failed/.test(text)) throw new Error(`unexpected status bar after a remote run: "${text}"`);
    const stats = await (await fetch(url.replace(/\/v1$/, '') + '/stats')).json();
    if (!(stats.chatRequests > 0 && stats.embeddingRequests > 0) || stats.faults.unauthorized) {
      throw new Error(`the server did not see authorised calls: ${JSON.stringify({ chat: stats.chatRequests, embed: stats.embeddingRequests, faults: stats.faults })}`);
    }
    step(`indexed through the provider: status bar "${text}", server saw ${stats.chatRequests} chat + ${stats.embeddingRequests} embedding requests, none unauthorised`);
    const leaks = [...grepTree(cs.runDir, KEY), ...grepTree(fixture.ws, KEY)];
    if (leaks.length) throw new Error(`the API key was written to ${leaks.join(', ')}`);
    step('the key appears in no settings, log or index file');
    ok = true;
  } catch (e) {
    console.error('provider test FAILED:', e.message);
    fs.mkdirSync(path.join(HERE, 'screenshots'), { recursive: true });
    await page?.screenshot({ path: path.join(HERE, 'screenshots', 'provider-failure.png') }).catch(() => {});
  } finally {
    await browser?.close().catch(() => {});
    await cs?.stop();
    try { process.kill(-server.pid, 'SIGTERM'); } catch {}
    removeDir(cs?.runDir);
    removeDir(fixture.dir);
    step(ok ? 'DONE (ok)' : 'DONE (failed)');
  }
  return ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit((await runProviderTest({ port: Number(process.argv[2] || 8173) })) ? 0 : 1);
}
