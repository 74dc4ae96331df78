// The vscode.lm summarizer adapter, driven with a fake model (plain Node: no VS Code needed).
import { strict as assert } from 'assert';
import type * as vscode from 'vscode';
import { isAbortError } from '../../src/engine/ports';
import { ConsentRequiredError, isPausingError, ProviderError } from '../../src/engine/providers/errors';
import { DEFAULT_SUMMARY_PROMPT, formatSummaryPrompt } from '../../src/engine/providers/prompt';
import { countTokens } from '../../src/engine/tokenizer';
import {
  type LanguageModelApi,
  type LanguageModelLike,
  parseLanguageModelSelector,
  summarizeWithApi,
} from '../../src/extension/lm/languageModelCore';

function cancellation() {
  const listeners = new Set<() => void>();
  const token = {
    isCancellationRequested: false,
    onCancellationRequested: (fn: () => void) => {
      listeners.add(fn);
      return { dispose: () => listeners.delete(fn) };
    },
  };
  return {
    token: token as unknown as vscode.CancellationToken,
    cancel: () => {
      token.isCancellationRequested = true;
      listeners.forEach((l) => l());
    },
    listeners,
  };
}

class LmError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'LanguageModelError';
  }
}

function fakeModel(behaviour: { reply?: string[]; error?: Error; slow?: boolean } = {}) {
  const sent: string[] = [];
  const model: LanguageModelLike = {
    id: 'gpt-4o',
    name: 'GPT-4o',
    vendor: 'copilot',
    family: 'gpt-4o',
    countTokens: async (t: string | vscode.LanguageModelChatMessage) => countTokens(String(t)) + 1,
    sendRequest: async (messages: vscode.LanguageModelChatMessage[], _o?: unknown, token?: vscode.CancellationToken) => {
      sent.push(String((messages[0] as unknown as { content: string }).content));
      if (behaviour.error) throw behaviour.error;
      const fragments = behaviour.reply ?? ['A summary ', 'of the ', 'cluster.'];
      return {
        stream: (async function* () {})(),
        text: (async function* () {
          for (const f of fragments) {
            if (behaviour.slow) await new Promise((r) => setTimeout(r, 50));
            if (token?.isCancellationRequested) throw Object.assign(new Error('Canceled'), { name: 'Canceled' });
            yield f;
          }
        })(),
      } as unknown as vscode.LanguageModelChatResponse;
    },
  } as unknown as LanguageModelLike;
  const selectors: vscode.LanguageModelChatSelector[] = [];
  const api: LanguageModelApi = {
    selectChatModels: async (s) => (selectors.push(s), s.vendor === 'nobody' ? [] : [model]),
    userMessage: (content) => ({ role: 1, content }) as unknown as vscode.LanguageModelChatMessage,
  };
  return { api, sent, selectors };
}

const req = { texts: ['First passage about the harbour.', 'Second passage about ferries.'], maxTokens: 50 };

describe('providers: vscode.lm summarizer adapter', () => {
  it('parses vscode-lm selectors', () => {
    assert.deepEqual(parseLanguageModelSelector('vscode-lm:copilot/gpt-4o'), { vendor: 'copilot', family: 'gpt-4o' });
    assert.deepEqual(parseLanguageModelSelector('vscode-lm:copilot/gpt-4o/gpt-4o-2024'), { vendor: 'copilot', family: 'gpt-4o', id: 'gpt-4o-2024' });
    assert.deepEqual(parseLanguageModelSelector('vscode-lm:'), {});
  });

  it('sends the same prompt as the OpenAI path and counts usage with the model', async () => {
    const f = fakeModel();
    const c = cancellation();
    const r = await summarizeWithApi(f.api, 'vscode-lm:copilot/gpt-4o', req, undefined, c.token);
    assert.equal(r.text, 'A summary of the cluster.');
    assert.deepEqual(f.sent, [formatSummaryPrompt(DEFAULT_SUMMARY_PROMPT, req.texts)]);
    assert.deepEqual(f.selectors, [{ vendor: 'copilot', family: 'gpt-4o' }]);
    assert.equal(r.usage.prompt, countTokens(f.sent[0]) + 1);
    assert.equal(r.usage.completion, countTokens(r.text) + 1);
    assert.equal(c.listeners.size, 0, 'the cancellation listener is disposed');
  });

  it('cuts a long answer at maxTokens', async () => {
    const f = fakeModel({ reply: Array.from({ length: 100 }, (_, i) => `word${i} `) });
    const r = await summarizeWithApi(f.api, 'vscode-lm:copilot', { ...req, maxTokens: 20 }, 'Summarise: {context}', cancellation().token);
    assert.ok(countTokens(r.text) <= 20);
    assert.match(f.sent[0], /^Summarise: First passage/);
  });

  it('maps NoPermissions to ConsentRequiredError (the task pauses), Blocked/NotFound to clear errors', async () => {
    const consent = summarizeWithApi(fakeModel({ error: new LmError('NoPermissions', 'no') }).api, 'vscode-lm:copilot/gpt-4o', req, undefined, cancellation().token);
    await assert.rejects(consent, (e: unknown) => e instanceof ConsentRequiredError && isPausingError(e) && /copilot\/gpt-4o.*resume the task/.test(e.message));
    await assert.rejects(
      summarizeWithApi(fakeModel({ error: new LmError('Blocked', 'Quota exceeded.') }).api, 'vscode-lm:copilot', req, undefined, cancellation().token),
      (e: unknown) => e instanceof ProviderError && e.message === 'The language model copilot refused the request (Quota exceeded); wait and resume, or choose another model in raptor.summarizer.',
    );
    await assert.rejects(
      summarizeWithApi(fakeModel({ error: new LmError('NotFound', 'gone') }).api, 'vscode-lm:copilot', req, undefined, cancellation().token),
      /no longer available/,
    );
    await assert.rejects(summarizeWithApi(fakeModel().api, 'vscode-lm:nobody', req, undefined, cancellation().token), /No VS Code language model matches nobody/);
  });

  it('cancellation ends the request as an AbortError', async () => {
    const f = fakeModel({ slow: true, reply: ['a ', 'b ', 'c ', 'd '] });
    const c = cancellation();
    const p = summarizeWithApi(f.api, 'vscode-lm:copilot', req, undefined, c.token);
    setTimeout(c.cancel, 60);
    await assert.rejects(p, (e: unknown) => isAbortError(e));
  });
});
