// Restricted Mode (an untrusted workspace, as a freshly cloned repository opens): nothing may reach a remote provider.
// The folder's own settings choose openai: models and a server; that server (started by run.mjs on loopback) counts
// every request it gets, and must get none.
const assert = require('assert');
const vscode = require('vscode');

const { waitFor } = require('../inHost');

const counterUrl = () => vscode.workspace.getConfiguration('raptorE2e').get('counterUrl');
const requestsSeen = async () => (await (await fetch(`${counterUrl()}/count`)).json()).requests;

describe('RAPTOR Index in Restricted Mode', function () {
  let api;
  before(async () => {
    api = await vscode.extensions.getExtension('raptor-index.raptor-index').activate();
  });

  it('opens untrusted, with the folder\'s provider settings withheld by VS Code', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the harness opens this folder in Restricted Mode');
    const raptor = vscode.workspace.getConfiguration('raptor');
    assert.ok(counterUrl(), 'the folder settings are read (an unrestricted key)');
    assert.equal(raptor.get('summarizer'), 'extractive', 'raptor.summarizer from the folder is ignored');
    assert.equal(raptor.get('embedder'), 'local', 'raptor.embedder from the folder is ignored');
    assert.equal(raptor.get('provider.baseUrl'), undefined, 'raptor.provider.baseUrl from the folder is ignored');
  });

  it('indexes with the offline summarizer and embedder, and the folder\'s server hears nothing', async () => {
    await vscode.commands.executeCommand('raptor.indexWorkspace');
    const status = await waitFor('the offline index to complete', () => {
      const s = api.status();
      return s && s.status === 'completed' && api.running().length === 0 && s.completed_documents === s.total_documents && s.total_documents > 0 && s;
    });
    assert.equal(status.token_count.prompt + status.token_count.completion, 0, 'no paid tokens: the extractive summarizer ran');
    assert.equal(await requestsSeen(), 0, 'no request reached the server named by the folder');
  });

  it('refuses a remote provider chosen in the (trusted) user settings while the workspace is untrusted', async () => {
    const raptor = vscode.workspace.getConfiguration('raptor');
    await raptor.update('summarizer', 'openai:m', vscode.ConfigurationTarget.Global);
    await raptor.update('provider.baseUrl', `${counterUrl()}/v1`, vscode.ConfigurationTarget.Global);
    try {
      await waitFor('the user setting to apply', () => vscode.workspace.getConfiguration('raptor').get('summarizer') === 'openai:m');
      const doc = api.status().documents[0].path;
      await vscode.commands.executeCommand('raptor.reindexDocument', doc);
      await vscode.commands.executeCommand('raptor.indexWorkspace');
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(api.running().length, 0, 'nothing runs');
      assert.equal(await requestsSeen(), 0, 'no request reached the server');
      const s = api.status();
      assert.equal(s.token_count.prompt + s.token_count.completion, 0, 'no paid tokens were spent');
      const kept = s.documents.find((d) => d.path === doc);
      assert.equal(kept && kept.state, 'completed', 'the refused re-index left the document and its tree as they were');
      assert.ok((await api.documentTree(doc)).length > 0, 'its tree is still there');
    } finally {
      await raptor.update('summarizer', undefined, vscode.ConfigurationTarget.Global);
      await raptor.update('provider.baseUrl', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
