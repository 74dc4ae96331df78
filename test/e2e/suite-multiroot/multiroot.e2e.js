// Multi-root: one index per workspace folder, shown together; paths of the merged view are `folder/path`.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');

const { waitFor } = require('../inHost');

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

  it('keeps the indexes in the extension\'s storage when raptor.indexLocation is "storage", and nothing in the folders', async () => {
    const folders = vscode.workspace.workspaceFolders;
    // The index files of the folders (not their lock or control files), with sizes and times: must not change.
    const indexState = () =>
      folders.map((f) => {
        const dir = path.join(f.uri.fsPath, '.raptor');
        return fs.readdirSync(dir).filter((n) => n.startsWith('index.db') && !n.endsWith('.lock')).sort().map((n) => {
          const st = fs.statSync(path.join(dir, n));
          return `${n} ${st.size} ${st.mtimeMs}`;
        });
      });
    const config = vscode.workspace.getConfiguration('raptor');
    await config.update('indexLocation', 'storage', vscode.ConfigurationTarget.Workspace);
    try {
      const files = await waitFor('the indexes to move to storage', () => {
        const f = api.indexFiles();
        return f.length === 2 && f.every((x) => !folders.some((w) => x.db.startsWith(w.uri.fsPath + path.sep))) && f;
      });
      await new Promise((r) => setTimeout(r, 1000)); // the folders' own indexes are closed by now
      const before = indexState();
      await vscode.commands.executeCommand('raptor.indexWorkspace');
      const status = await waitFor('both folders to finish in storage', () => {
        const s = api.status();
        const written = files.every(({ db }) => fs.existsSync(path.dirname(db)) && fs.readdirSync(path.dirname(db)).some((n) => n.startsWith('index.db')));
        return written && s && s.status === 'completed' && api.running().length === 0 && s.completed_documents >= 4 && s;
      });
      for (const { folder, db } of files) {
        const dir = path.dirname(db);
        const written = fs.readdirSync(dir);
        assert.ok(written.some((n) => n.startsWith('index.db')), `${folder}'s index is in ${dir} (${written.join(', ')})`);
        assert.ok(status.documents.some((d) => d.path.startsWith(`${folder}/`) && d.state === 'completed'), `${folder}'s documents were indexed there`);
      }
      assert.notEqual(path.dirname(files[0].db), path.dirname(files[1].db), 'one index per folder');
      assert.deepEqual(indexState(), before, 'the folders\' own indexes were left as they were');
    } finally {
      await config.update('indexLocation', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
