// Token counting for bulk work (chunking megabytes, budgeting summaries). cl100k's BPE never merges
// across the pieces its pre-tokenizer regex cuts, so a text's count is the sum of its pieces' counts —
// and natural language repeats the same few thousand pieces, so memoising them skips most BPE work
// and the per-call setup of the general encoder. Results equal countTokens() from ../tokenizer.
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { countTokens } from '../tokenizer';

const PIECE = new RegExp(cl100k.pat_str, 'gu');
const MAX_MEMO = 500_000;
let memo = new Map<string, number>();

export function countTokensFast(text: string): number {
  if (text.length === 0) return 0;
  let total = 0;
  PIECE.lastIndex = 0;
  for (let m = PIECE.exec(text); m; m = PIECE.exec(text)) {
    const piece = m[0];
    let n = memo.get(piece);
    if (n === undefined) {
      // The general encoder refuses special-token text ("<|endoftext|>"); a lone piece never spells one.
      n = countTokens(piece);
      if (memo.size >= MAX_MEMO) memo = new Map();
      memo.set(piece, n);
    }
    total += n;
  }
  return total;
}
