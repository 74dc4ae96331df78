// Summaries the engine worker asks of the host: `vscode-lm:*` models exist only in the extension host, so the worker
// reaches them through the channel. The abort arrives as an AbortSignal and becomes a CancellationToken here, at the edge.
import * as vscode from 'vscode';
import type { HostParams, HostResult } from '../engine/worker/protocol';
import { summarizeWithLanguageModel } from './lm/languageModelSummarizer';
import type { ExtensionSettings } from './settings';

export async function summarizeInHost(
  params: HostParams<'provider/summarize'>,
  signal: AbortSignal,
  settings: ExtensionSettings,
): Promise<HostResult<'provider/summarize'>> {
  const source = new vscode.CancellationTokenSource();
  const onAbort = () => source.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) source.cancel();
  try {
    const result = await summarizeWithLanguageModel(
      params.providerId,
      { texts: params.texts, maxTokens: params.maxTokens },
      settings.index.provider.summaryPrompt ?? '',
      source.token,
    );
    return { text: result.text, usage: result.usage, cached: result.cached };
  } finally {
    signal.removeEventListener('abort', onAbort);
    source.dispose();
  }
}
