// The vscode.lm summarizer without a runtime `vscode` import, so plain-Node unit tests can drive it with a fake
// model. languageModelSummarizer.ts binds it to the real `vscode.lm`.
import type * as vscode from 'vscode';
import { AbortError, type SummarizeRequest, type SummaryResult } from '../../engine/ports';
import { ConsentRequiredError, ProviderError } from '../../engine/providers/errors';
import { DEFAULT_SUMMARY_PROMPT, formatSummaryPrompt } from '../../engine/providers/prompt';
import { countTokens, decodeTokens, encodeTokens } from '../../engine/tokenizer';

export const VSCODE_LM_PREFIX = 'vscode-lm:';

/** `vscode-lm:VENDOR/FAMILY/ID` (each part optional: `vscode-lm:copilot`, `vscode-lm:copilot/gpt-4o`). */
export function parseLanguageModelSelector(setting: string): vscode.LanguageModelChatSelector {
  const rest = setting.startsWith(VSCODE_LM_PREFIX) ? setting.slice(VSCODE_LM_PREFIX.length) : setting;
  const [vendor, family, id] = rest.split('/').map((s) => s.trim());
  const selector: vscode.LanguageModelChatSelector = {};
  if (vendor) selector.vendor = vendor;
  if (family) selector.family = family;
  if (id) selector.id = id;
  return selector;
}

/** The slice of the vscode API this adapter uses (the real one, or a fake in tests). */
export interface LanguageModelApi {
  selectChatModels(selector: vscode.LanguageModelChatSelector): Thenable<readonly LanguageModelLike[]>;
  userMessage(content: string): vscode.LanguageModelChatMessage;
}

export type LanguageModelLike = Pick<vscode.LanguageModelChat, 'id' | 'name' | 'vendor' | 'family' | 'sendRequest' | 'countTokens'>;

const JUSTIFICATION = 'RAPTOR Index summarises groups of passages from your documents to build its search tree.';

function describe(selectorSetting: string): string {
  return selectorSetting.startsWith(VSCODE_LM_PREFIX) ? selectorSetting.slice(VSCODE_LM_PREFIX.length) || 'any model' : selectorSetting;
}

/** Map vscode.LanguageModelError (by its `code`, the documented contract) to what the runner understands. */
export function mapLanguageModelError(e: unknown, selectorSetting: string, token: vscode.CancellationToken): Error {
  if (token.isCancellationRequested) return new AbortError();
  const code = (e as { code?: unknown })?.code;
  const detail = e instanceof Error && e.message ? ` (${e.message.replace(/\.$/, '')})` : '';
  const what = describe(selectorSetting);
  switch (code) {
    case 'NoPermissions':
      return new ConsentRequiredError(
        `RAPTOR Index may not use the language model ${what} yet; allow it when VS Code asks (or under Accounts → Manage Language Model Access), then resume the task.`,
      );
    case 'Blocked':
      return new ProviderError(`The language model ${what} refused the request${detail}; wait and resume, or choose another model in raptor.summarizer.`);
    case 'NotFound':
      return new ProviderError(`The language model ${what} is no longer available${detail}; choose another model in raptor.summarizer.`);
  }
  if (e instanceof Error && (e.name === 'Canceled' || e.name === 'CancellationError')) return new AbortError();
  return new ProviderError(`The language model ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
}

/** Rejects on cancellation; dispose() drops the listener. */
function cancelledBy(token: vscode.CancellationToken): { promise: Promise<never>; dispose(): void } {
  let listener: { dispose(): void } | undefined;
  const promise = new Promise<never>((_, reject) => {
    listener = token.onCancellationRequested(() => reject(new AbortError()));
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => listener?.dispose() };
}

/**
 * Summarise one cluster with a VS Code chat model: same prompt as the OpenAI path, streamed text collected and cut
 * at req.maxTokens (vscode.lm has no max_tokens), usage counted with model.countTokens (vscode.lm reports none).
 * @param promptTemplate raptor.provider.summaryPrompt or the default; `{context}` is replaced by the texts.
 */
export async function summarizeWithApi(
  api: LanguageModelApi,
  selectorSetting: string,
  req: SummarizeRequest,
  promptTemplate: string | undefined,
  token: vscode.CancellationToken,
): Promise<SummaryResult> {
  if (token.isCancellationRequested) throw new AbortError();
  const cancelled = cancelledBy(token);
  try {
    return await summarizeOnce(api, selectorSetting, req, promptTemplate, token, cancelled.promise);
  } finally {
    cancelled.dispose();
  }
}

async function summarizeOnce(
  api: LanguageModelApi,
  selectorSetting: string,
  req: SummarizeRequest,
  promptTemplate: string | undefined,
  token: vscode.CancellationToken,
  cancelled: Promise<never>,
): Promise<SummaryResult> {
  const prompt = formatSummaryPrompt(promptTemplate ?? DEFAULT_SUMMARY_PROMPT, req.texts);
  let models: readonly LanguageModelLike[];
  try {
    models = await Promise.race([api.selectChatModels(parseLanguageModelSelector(selectorSetting)), cancelled]);
  } catch (e) {
    throw mapLanguageModelError(e, selectorSetting, token);
  }
  const model = models[0];
  if (!model) {
    throw new ProviderError(
      `No VS Code language model matches ${describe(selectorSetting)}; sign in to a chat extension (e.g. GitHub Copilot) or change raptor.summarizer.`,
    );
  }
  let text = '';
  try {
    const response = await model.sendRequest([api.userMessage(prompt)], { justification: JUSTIFICATION }, token);
    // Stop reading once we surely have more than maxTokens (~4 chars a token; 8 leaves room): the rest is cut anyway.
    const enough = req.maxTokens * 8;
    for await (const fragment of response.text) {
      text += fragment;
      if (text.length > enough) break;
    }
  } catch (e) {
    throw mapLanguageModelError(e, selectorSetting, token);
  }
  if (token.isCancellationRequested) throw new AbortError();
  const tokens = encodeTokens(text.trim());
  const summary = (tokens.length > req.maxTokens ? decodeTokens(tokens.slice(0, req.maxTokens)) : text).trim();
  if (!summary) throw new ProviderError(`The language model ${describe(selectorSetting)} returned an empty summary.`);
  const count = async (s: string) => {
    try {
      return await model.countTokens(s, token);
    } catch {
      return countTokens(s); // a model that cannot count still gets an honest estimate
    }
  };
  const [promptTokens, completionTokens] = await Promise.all([count(prompt), count(summary)]);
  return { text: summary, usage: { prompt: promptTokens, completion: completionTokens } };
}
