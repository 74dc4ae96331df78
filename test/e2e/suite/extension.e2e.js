// Runs inside the real VS Code extension host against a fixture workspace of State of the Union addresses
// (made by test/e2e/fixtures.mjs): blank.md fails until text is written into it.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');

const EXTENSION_ID = 'raptor-index.raptor-index';

const { waitFor, settled, addAddresses } = require('../inHost');

describe('RAPTOR Index in a real VS Code', function () {
  let api;
  const ws = () => vscode.workspace.workspaceFolders[0].uri.fsPath;
  const doc = (p) => api.status() && api.status().documents.find((d) => d.path === p);

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'the extension is installed');
    api = await ext.activate();
  });

  it('activates and contributes its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['raptor.indexWorkspace', 'raptor.pause', 'raptor.resume', 'raptor.cancel', 'raptor.retryFailed',
      'raptor.retryDocument', 'raptor.reindexDocument', 'raptor.openDashboard', 'raptor.showCheckpointStatus',
      'raptor.search', 'raptor.reset', 'raptor.setApiKey']) {
      assert.ok(commands.includes(c), `${c} is registered`);
    }
    assert.equal(api.status(), undefined, 'no index before the first run');
  });

  it('indexes the workspace: every document completed except blank.md, failed with its error', async () => {
    await vscode.commands.executeCommand('raptor.indexWorkspace');
    const status = await waitFor('the task to complete', settled(api, 'completed'));
    const notCompleted = status.documents.filter((d) => d.state !== 'completed').map((d) => `${d.path}:${d.state}`);
    assert.deepEqual(notCompleted, ['blank.md:failed']);
    assert.match(doc('blank.md').error, /text/i);
    assert.equal(doc('blank.md').retry_count >= 1, true, 'retried before failing for good');
    const leaf = status.documents.find((d) => d.path.startsWith('addresses/'));
    assert.ok(leaf.chunks > 0 && leaf.layers > 0, 'a tree was built');
    assert.equal(fs.readFileSync(path.join(ws(), '.raptor', '.gitignore'), 'utf8').trim(), '*');
    const lag = api.eventLoopLag();
    console.log(`[raptor-e2e] indexed ${status.total_documents} documents; extension-host event-loop delay: ` +
      `p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms over ${lag.seconds}s`);
  });

  it('retries the failed document once it is fixed', async () => {
    fs.writeFileSync(path.join(ws(), 'blank.md'), '# Notes\n\nThe union is strong, and this document now has text to index.\n');
    await vscode.commands.executeCommand('raptor.retryDocument', 'blank.md');
    await waitFor('blank.md to complete', () => doc('blank.md') && doc('blank.md').state === 'completed');
    assert.equal(api.status().failed_documents, 0);
  });

  it('marks a changed file stale, and the next run redoes only that file', async () => {
    const target = api.status().documents.find((d) => d.path.startsWith('addresses/'));
    const untouched = api.status().documents.find((d) => d.path.startsWith('addresses/') && d.path !== target.path);
    fs.appendFileSync(path.join(ws(), target.path), '\n\nA sentence added after indexing.\n');
    await waitFor(`${target.path} to become stale`, () => doc(target.path) && doc(target.path).stale === true, 30000);
    await waitFor('the status to settle', () => api.running().length === 0);
    await vscode.commands.executeCommand('raptor.indexWorkspace');
    await waitFor(`${target.path} to be re-indexed`, () => {
      const d = doc(target.path);
      return d && d.state === 'completed' && !d.stale && d.completed_at !== target.completed_at && api.running().length === 0;
    });
    assert.equal(doc(untouched.path).completed_at, untouched.completed_at, 'an unchanged document is not redone');
  });

  it('pauses mid-run keeping finished work, and resumes to completion', async () => {
    // More real work: twenty older addresses appear in the folder.
    const more = addAddresses(ws(), 'more', (names) => names.reverse().slice(0, 20));
    await vscode.commands.executeCommand('raptor.indexWorkspace');
    await waitFor('the run to start on the new documents', () => {
      const s = api.status();
      return s && s.status === 'running' && s.documents.filter((d) => d.path.startsWith('more/')).length === more.length;
    });
    await vscode.commands.executeCommand('raptor.pause');
    const paused = await waitFor('paused', settled(api, 'paused'));
    assert.ok(paused.pending_documents > 0, 'work was left to do when paused');
    assert.equal(paused.running_documents, 0);
    const doneBefore = paused.completed_documents;
    await vscode.commands.executeCommand('raptor.resume');
    const done = await waitFor('completion after resume', settled(api, 'completed'));
    assert.equal(done.completed_documents, done.total_documents);
    assert.ok(done.completed_documents > doneBefore);
  });

  it('shows the checkpoint status of every folder', async () => {
    const shown = await vscode.commands.executeCommand('raptor.showCheckpointStatus');
    assert.equal(shown.length, 1);
    assert.equal(shown[0].status, 'completed');
    assert.equal(shown[0].completed_documents, api.status().total_documents);
  });

  it('cancels mid-run keeping completed documents; the next Index Workspace finishes the rest', async () => {
    // the longest (modern) addresses, so the run is still going when Cancel arrives
    const extra = addAddresses(ws(), 'extra', (names) => names.slice(-40));
    const completedBefore = api.status().completed_documents;
    await vscode.commands.executeCommand('raptor.indexWorkspace');
    await waitFor('the run to start on the extra documents', () => {
      const s = api.status();
      return s && s.status === 'running' && s.documents.filter((d) => d.path.startsWith('extra/')).length === extra.length;
    });
    await vscode.commands.executeCommand('raptor.cancel');
    const cancelled = await waitFor('cancelled', settled(api, 'cancelled'));
    assert.ok(cancelled.cancelled_documents > 0, 'open documents became cancelled');
    assert.ok(cancelled.completed_documents >= completedBefore, 'completed work is kept');
    await vscode.commands.executeCommand('raptor.indexWorkspace');
    const done = await waitFor('completion', settled(api, 'completed'));
    assert.equal(done.completed_documents, done.total_documents);
  });
});
