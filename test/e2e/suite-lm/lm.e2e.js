// raptor.summarizer "vscode-lm:raptor-e2e/fake-family" in a real VS Code: summaries come from a chat model another
// extension registers with vscode.lm.registerLanguageModelChatProvider (test/e2e/fake-lm), through the engine worker's
// channel to the host. Two windows on the same folder (phase = workspace setting raptorE2e.phase, set by run.mjs):
//   1: Index Workspace builds trees with the fake model's summaries and its token counts; then the model refuses
//      (LanguageModelError.NoPermissions, as before the user consents) and the task pauses, nothing failed.
//   2: the window opens with raptor.autoResume and the model still refusing: the automatic resume pauses again with
//      the consent message; once the model answers, Resume finishes the task.
const assert = require('assert');
const vscode = require('vscode');

const CONSENT = /may not use the language model raptor-e2e\/fake-family yet/;

const { waitFor: waitLonger, settled: settledIn, addAddresses } = require('../inHost');
const waitFor = (what, fn, timeoutMs = 120000) => waitLonger(what, fn, timeoutMs);

const phase = vscode.workspace.getConfiguration('raptorE2e').get('phase');
const ws = () => vscode.workspace.workspaceFolders[0].uri.fsPath;

describe(`RAPTOR with a VS Code language model (window ${phase})`, function () {
  let api, fake;
  const settled = (state) => settledIn(api, state);

  before(async () => {
    const fakeExt = vscode.extensions.getExtension('raptor-e2e.fake-lm');
    assert.ok(fakeExt, `the fake model extension is loaded (have: ${vscode.extensions.all.map((e) => e.id).filter((id) => /raptor/.test(id))})`);
    fake = await fakeExt.activate();
    api = await vscode.extensions.getExtension('raptor-index.raptor-index').activate();
    const models = await vscode.lm.selectChatModels({ vendor: 'raptor-e2e', family: 'fake-family' });
    assert.equal(models.length, 1, 'the fake model is registered');
  });

  if (phase === 1) {
    it('indexes with the fake model: summaries are its answers, tokens are its counts', async () => {
      await vscode.commands.executeCommand('raptor.indexWorkspace');
      const status = await waitFor('the task to complete', settled('completed'));
      assert.deepEqual(status.documents.filter((d) => d.state !== 'completed').map((d) => `${d.path}: ${d.error}`), []);
      const stats = fake.stats();
      assert.ok(stats.requests > 0, 'the model was asked');
      const doc = status.documents[0];
      const nodes = await api.documentTree(doc.path);
      const summaries = nodes.filter((n) => n.layer > 0);
      assert.ok(summaries.length > 0, `${doc.path} has summary nodes`);
      for (const n of summaries) assert.ok(n.text.startsWith(fake.FAKE_PREFIX), `summary from the fake model: "${n.text.slice(0, 60)}"`);
      const t = status.token_count;
      assert.ok(t.prompt > 0 && t.completion > 0, `tokens counted: ${JSON.stringify(t)}`);
      // Every token the index records for summaries was counted by the model (ceil(chars/3)), not estimated.
      assert.equal(t.prompt + t.completion, stats.countedTokens, `index tokens ${t.prompt}+${t.completion} vs the model's ${stats.countedTokens}`);
      console.log(`[raptor-e2e] vscode-lm: ${status.total_documents} documents, ${stats.requests} model requests, ` +
        `${t.prompt} prompt + ${t.completion} completion tokens counted by the model`);
    });

    it('pauses the task (failing nothing) when the model answers NoPermissions', async () => {
      fake.setMode('noPermissions');
      const more = addAddresses(ws(), 'more', (names) => names.reverse().slice(0, 3));
      await vscode.commands.executeCommand('raptor.indexWorkspace');
      const paused = await waitFor('the task to pause', settled('paused'));
      assert.match(paused.message, CONSENT);
      assert.equal(paused.failed_documents, 0);
      assert.ok(paused.pending_documents >= more.length, 'the new documents wait for consent');
      assert.ok(fake.stats().refused > 0);
    });
  }

  if (phase === 2) {
    it('the automatic resume pauses with the consent message; after consent, Resume completes', async () => {
      // raptor.autoResume resumed the paused task at activation; the model (still refusing) paused it again.
      const paused = await waitFor('the automatic resume to reach the model and pause', () => fake.stats().refused > 0 && settled('paused')());
      assert.match(paused.message, CONSENT);
      assert.equal(paused.failed_documents, 0);
      assert.ok(paused.pending_documents > 0);
      fake.setMode('ok');
      await vscode.commands.executeCommand('raptor.resume');
      const done = await waitFor('completion after consent', settled('completed'));
      assert.equal(done.completed_documents, done.total_documents);
      const fresh = done.documents.find((d) => d.path.startsWith('more/'));
      const summaries = (await api.documentTree(fresh.path)).filter((n) => n.layer > 0);
      assert.ok(summaries.length > 0 && summaries.every((n) => n.text.startsWith(fake.FAKE_PREFIX)));
    });
  }
});
