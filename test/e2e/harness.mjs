// Start/stop a real VS Code (code-server 4.139.1 = VS Code 1.139.1, remote Node extension host) and a headless
// Debian chromium. Tools come from test/e2e/.tools (installed by setup.sh); nothing is downloaded at run time.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
/** The extension under test: the repo itself, or another build of it (e.g. an unpacked .vsix). */
export const EXT_DIR = process.env.RAPTOR_E2E_EXT ? path.resolve(process.env.RAPTOR_E2E_EXT) : REPO;
const TOOLS = process.env.RAPTOR_E2E_TOOLS || path.join(HERE, '.tools');
export const NODE24 = `${TOOLS}/node24/node_modules/node/bin/node`;
export const CS_ENTRY = `${TOOLS}/cs/node_modules/code-server/out/node/entry.js`;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

for (const [what, p] of [['Node 24', NODE24], ['code-server', CS_ENTRY], ['chromium', CHROMIUM]]) {
  if (!fs.existsSync(p)) {
    console.error(`${what} is missing (${p}); run: bash test/e2e/setup.sh`);
    process.exit(2);
  }
}
const { chromium } = createRequire(`${TOOLS}/harness/package.json`)('playwright-core');

const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.tips.enabled': false,
  'git.enabled': false,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
};

/** Start code-server with fresh user data; resolves once /healthz answers. */
export async function startCodeServer({ port, runDir, vsix = [], settings = {}, smokeDriver = true, env: extraEnv = {}, workspaceTrust = false }) {
  runDir ??= fs.mkdtempSync(`${os.tmpdir()}/raptor-e2e-cs-`);
  for (const d of ['ud/User', 'exts', 'xdg/config', 'xdg/data']) fs.mkdirSync(`${runDir}/${d}`, { recursive: true });
  // workspaceTrust: folders open in Restricted Mode (nothing is trusted, and no prompt asks), as an untrusted clone would.
  const trust = workspaceTrust
    ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' }
    : {};
  fs.writeFileSync(`${runDir}/ud/User/settings.json`, JSON.stringify({ ...DEFAULT_SETTINGS, ...trust, ...settings }, null, 2));
  fs.writeFileSync(`${runDir}/config.yaml`, 'auth: none\n');
  const env = { ...process.env, ...extraEnv, XDG_CONFIG_HOME: `${runDir}/xdg/config`, XDG_DATA_HOME: `${runDir}/xdg/data` };
  const common = ['--auth', 'none', '--disable-telemetry', '--disable-update-check', ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override', '--ignore-last-opened', '--user-data-dir', `${runDir}/ud`,
    '--extensions-dir', `${runDir}/exts`, '--config', `${runDir}/config.yaml`];
  for (const v of vsix) execFileSync(NODE24, [CS_ENTRY, ...common, '--install-extension', v, '--force'], { env, stdio: 'pipe' });
  // enable-smoke-test-driver: the workbench honours ?payload=[["extensionDevelopmentPath",..],["extensionTestsPath",..]]
  // and forwards console output to window.codeAutomationLog. It also hides toasts: read the Notification Centre.
  const proc = spawn(NODE24, [CS_ENTRY, '--bind-addr', `127.0.0.1:${port}`, ...common,
    ...(smokeDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : [])], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // Its own process group, so stopping it also ends the extension host, file watcher and engine workers it forked.
  const killGroup = (signal) => { try { process.kill(-proc.pid, signal); } catch {} };
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => proc.once('exit', r));
  /** Stop the server and wait for it (and its extension host, and our engine worker) to be gone. */
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      killGroup('SIGTERM');
      const t = setTimeout(() => killGroup('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    }
    await new Promise((r) => setTimeout(r, 500));
    killGroup('SIGKILL'); // stragglers of the group (a forked watcher that outlived the server)
  };
  process.on('exit', () => killGroup('SIGKILL'));
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch {}
    if (i > 240 || proc.exitCode !== null) { await stop(); throw new Error('code-server failed to start:\n' + log); }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url: `http://127.0.0.1:${port}`, port, proc, runDir, log: () => log, stop };
}

/** The workbench URL; with devPath/testsPath the remote extension host loads our extension (and its Mocha suite). */
export function workbenchUrl(cs, { folder, workspace, devPath, testsPath } = {}) {
  const remote = (p) => `vscode-remote://127.0.0.1:${cs.port}${p}`; // authority = the host:port the browser uses
  const q = new URLSearchParams();
  if (folder) q.set('folder', folder);
  if (workspace) q.set('workspace', workspace); // a .code-workspace file (multi-root)
  const payload = [];
  if (devPath) payload.push(['extensionDevelopmentPath', remote(devPath)]);
  if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${cs.url}/?${q}`;
}

export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export const NOISE = /AgentHost|ChatModelSelection|Creating a socket|connection token|grace-time|AccountPolicyGate|Service Worker|builtin extensions cache|open-vsx\.org|^\s+at |ERR_NAME_NOT_RESOLVED|authentication provider|^\[CHAT\] extension request ERRORED/; // the last: the lm suite's fake model refusing, on purpose

/** Remove a temporary folder; cleanup never fails a test run. */
export function removeDir(dir) {
  if (!dir || process.env.KEEP_RUN_DIR) return;
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  } catch (e) {
    console.warn(`could not remove ${dir}: ${e.message}`);
  }
}
