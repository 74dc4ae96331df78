// Token counting with a real BPE tokenizer (cl100k_base, the encoding of GPT-4-era models),
// so chunk sizes and budgets mean what users expect. Loaded lazily: building the rank table
// takes ~200 ms and the CLI's `status` never needs it.
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';

let encoder: Tiktoken | undefined;

function get(): Tiktoken {
  encoder ??= new Tiktoken(cl100k);
  return encoder;
}

export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  return get().encode(text).length;
}

export function encodeTokens(text: string): number[] {
  return get().encode(text);
}

export function decodeTokens(tokens: number[]): string {
  return get().decode(tokens);
}
