// Multi-root: one index per workspace folder, shown together; paths of the merged view are `folder/path`.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');

const { waitFor } = require('../waitFor');

describe('RAPTOR Index in a multi-root workspace', function () {
  let api;
  before(async () => {
    api = await vscode.extensions.getExtension('raptor-index.raptor-index').activate();
  });

  it('indexes each folder into its own index and shows them together', async () => {
    const folders = vscode.workspace.workspaceFolders;
    assert.equal(folders.length, 2);
    await vscode.commands.executeCommand('raptor.indexWorkspace');
    const status = await waitFor('both folders to finish', () => {
      const s = api.status();
      return s && s.status === 'completed' && api.running().length === 0 && s.total_documents > 0 && s;
    });
    for (const f of folders) {
      const files = fs.readdirSync(path.join(f.uri.fsPath, '.raptor'));
      assert.ok(files.some((n) => n.startsWith('index.db')), `${f.name} has its own index (${files.join(', ')})`);
      assert.ok(status.documents.some((d) => d.path.startsWith(`${f.name}/`)), `${f.name}'s documents are shown`);
    }
    const failed = status.documents.filter((d) => d.state === 'failed').map((d) => d.path).sort();
    assert.deepEqual(failed, folders.map((f) => `${f.name}/blank.md`).sort());
  });

  it('retries a document of the second folder by its shown path', async () => {
    const second = vscode.workspace.workspaceFolders[1];
    fs.writeFileSync(path.join(second.uri.fsPath, 'blank.md'), 'Now there is text in the second folder.\n');
    await vscode.commands.executeCommand('raptor.retryDocument', `${second.name}/blank.md`);
    await waitFor('the retried document to complete', () => {
      const d = api.status().documents.find((x) => x.path === `${second.name}/blank.md`);
      return d && d.state === 'completed';
    });
    assert.equal(api.status().failed_documents, 1, 'the first folder still has its failure');
  });
});
