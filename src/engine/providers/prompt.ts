// The summary prompt, shared by every summarizer that talks to an LLM (OpenAI-compatible, vscode.lm) and by the
// dry-run estimator, so all three send — and count — exactly the same text.
import { createHash } from 'node:crypto';

/** RAPTOR's own summarisation prompt (Sarthi et al., 2024). */
export const DEFAULT_SUMMARY_PROMPT = 'Write a summary of the following, including as many key details as possible: {context}:';

/** Cluster texts are joined the way RAPTOR joins them: one blank line between members. */
export function formatSummaryPrompt(template: string, texts: string[]): string {
  const context = texts.join('\n\n');
  // A template without the placeholder still gets the text: appended, rather than silently summarising nothing.
  return template.includes('{context}') ? template.split('{context}').join(context) : `${template}\n\n${context}`;
}

/** Short, stable hash for provider ids (a changed prompt must change the id, and so the config signature). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * Tokens OpenAI bills for chat framing around the message contents: 3 per message plus 3 to prime the reply
 * (OpenAI cookbook, "How to count tokens with tiktoken"). One user message → 7.
 */
export const CHAT_FRAMING_TOKENS = 7;
