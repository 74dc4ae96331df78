// Host-side adapter to VS Code's language models (vscode.lm), for `raptor.summarizer: vscode-lm:VENDOR/FAMILY`.
// The engine worker reaches it through the channel (provider/summarize); see ../hostSummarizer.ts.
import * as vscode from 'vscode';
import type { SummarizeRequest, SummaryResult } from '../../engine/ports';
import { type LanguageModelApi, summarizeWithApi } from './languageModelCore';

export { ConsentRequiredError } from '../../engine/providers/errors';
export { parseLanguageModelSelector, VSCODE_LM_PREFIX } from './languageModelCore';

const api: LanguageModelApi = {
  selectChatModels: (selector) => vscode.lm.selectChatModels(selector),
  userMessage: (content) => vscode.LanguageModelChatMessage.User(content),
};

/**
 * Summarise one cluster with the chat model chosen by `selector` (e.g. `vscode-lm:copilot/gpt-4o`).
 * @param prompt the summary prompt template (raptor.provider.summaryPrompt, or '' for RAPTOR's default); `{context}`
 *   is replaced by the cluster's texts, exactly as the OpenAI-compatible summarizer does.
 * Throws ConsentRequiredError (the runner pauses the task), ProviderError (the document fails) or AbortError.
 */
export function summarizeWithLanguageModel(
  selector: string,
  req: SummarizeRequest,
  prompt: string,
  token: vscode.CancellationToken,
): Promise<SummaryResult> {
  return summarizeWithApi(api, selector, req, prompt || undefined, token);
}
