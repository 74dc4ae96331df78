// Whether Index Workspace asks before a run that pays a provider, and what it says. Pure (no vscode import), so the
// decision is unit-tested in Node; commands.ts shows the modal.
import type { IndexConfig } from '../engine/config';
import type { CostEstimate } from '../engine/raptorIndex';
import { formatTokens as compact } from './taskStatusView';

/** Providers that are billed or metered per token (an OpenAI-compatible server, a VS Code language model). */
export function usesPaidProvider(config: Pick<IndexConfig, 'summarizer' | 'embedder'>): boolean {
  return /^(openai|vscode-lm):/.test(config.summarizer) || config.embedder.startsWith('openai:');
}

export type CostDecision = { ask: false } | { ask: true; message: string };

/**
 * @param confirmAboveTokens raptor.confirmAboveTokens: ask when the estimated total exceeds it; 0 asks before every
 *   run that has documents to index (a run with nothing to do costs nothing, so it is never worth a dialog).
 * @param folderName named in the question when the workspace has several folders.
 */
export function decideCostConfirmation(
  config: Pick<IndexConfig, 'summarizer' | 'embedder'>,
  estimate: CostEstimate,
  confirmAboveTokens: number,
  folderName?: string,
): CostDecision {
  if (!usesPaidProvider(config) || estimate.documents === 0) return { ask: false };
  const overThreshold = confirmAboveTokens === 0 || estimate.tokens.total > confirmAboveTokens;
  if (!overThreshold) return { ask: false };
  return { ask: true, message: costQuestion(estimate, folderName) };
}

export function costQuestion(estimate: CostEstimate, folderName?: string): string {
  const calls = estimate.calls.summary + estimate.calls.embedding;
  const t = estimate.tokens;
  const docs = `${estimate.documents} document${estimate.documents === 1 ? '' : 's'}`;
  return (
    `Index ${docs}${folderName ? ` in ${folderName}` : ''}: about ${calls.toLocaleString('en-US')} call${calls === 1 ? '' : 's'} and ` +
    `${compact(t.total)} tokens (${compact(t.prompt)} prompt / ${compact(t.completion)} completion / ${compact(t.embedding)} embedding). Continue?`
  );
}
