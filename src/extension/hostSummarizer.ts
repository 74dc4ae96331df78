// Summaries the engine worker asks of the host: `vscode-lm:*` models exist only in the extension host, so the worker
// reaches them through the channel (abort arrives as the signal). The vscode.lm adapter itself lives in ./lm.
import type * as vscode from 'vscode';
import type { HostParams, HostResult } from '../engine/worker/protocol';

export async function summarizeInHost(
  params: HostParams<'provider/summarize'>,
  signal: AbortSignal,
  log: vscode.LogOutputChannel,
): Promise<HostResult<'provider/summarize'>> {
  void signal;
  log.error(`${params.providerId}: the VS Code language-model summarizer is not available in this build.`);
  throw new Error(`The ${params.providerId} summarizer is not available in this build; set raptor.summarizer to extractive or openai:MODEL.`);
}
