// Test-only chat model provider (vendor "raptor-e2e", family "fake-family"). Every answer starts with FAKE_PREFIX,
// so the suite can tell its summaries from RAPTOR's extractive ones; token counts are ceil(chars / 3), unlike
// RAPTOR's own tokenizer, so the suite can tell that model.countTokens was used.
// Mode (workspace setting "raptorE2e.fakeLmMode", or setMode() from the suite):
//   'ok'            answer every request
//   'noPermissions' throw vscode.LanguageModelError.NoPermissions, as VS Code does before the user consents
const vscode = require('vscode');

const FAKE_PREFIX = 'FAKE-LM SUMMARY:';

exports.activate = function activate(context) {
  let mode = vscode.workspace.getConfiguration('raptorE2e').get('fakeLmMode') || 'ok';
  const stats = { requests: 0, refused: 0, countedTokens: 0, countCalls: 0 };
  const model = {
    id: 'fake-summarizer',
    name: 'Fake Summarizer',
    family: 'fake-family',
    version: '1',
    maxInputTokens: 200000,
    maxOutputTokens: 4096,
    capabilities: {},
  };
  const textOf = (message) =>
    typeof message === 'string'
      ? message
      : message.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : typeof p?.value === 'string' ? p.value : '')).join('');
  context.subscriptions.push(
    vscode.lm.registerLanguageModelChatProvider('raptor-e2e', {
      provideLanguageModelChatInformation: () => [model],
      async provideLanguageModelChatResponse(_model, messages, _options, progress, token) {
        if (mode === 'noPermissions') {
          stats.refused++;
          throw vscode.LanguageModelError.NoPermissions('the e2e fake model has not been allowed yet');
        }
        stats.requests++;
        const prompt = messages.map(textOf).join('\n');
        // The last few words of the prompt are the cluster's text: echo a dozen of them, so summaries differ.
        const words = prompt.split(/\s+/).filter(Boolean);
        const gist = words.slice(Math.max(0, words.length - 12)).join(' ');
        await new Promise((r) => setTimeout(r, 5));
        if (token.isCancellationRequested) return;
        progress.report(new vscode.LanguageModelTextPart(`${FAKE_PREFIX} ${gist}`));
      },
      async provideTokenCount(_model, text) {
        const n = Math.ceil(textOf(text).length / 3);
        stats.countCalls++;
        stats.countedTokens += n;
        return n;
      },
    }),
  );
  return {
    FAKE_PREFIX,
    setMode: (m) => void (mode = m),
    stats: () => ({ ...stats, mode }),
  };
};

exports.deactivate = function deactivate() {};
