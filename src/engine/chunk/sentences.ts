// A sentence splitter that is fast on megabytes of text. Intl.Segmenter was measured to exhaust the
// heap on large inputs (each segment copies the input), so this is a single regex pass over
// candidate boundaries, with the usual abbreviation rules deciding which candidates are real.

export interface Span {
  /** [start, end) into the text; trimmed: never starts or ends with whitespace. */
  start: number;
  end: number;
}

/** Titles and Latin shorthands that are followed by more of the same sentence. */
const ALWAYS_ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'messrs', 'dr', 'prof', 'rev', 'hon', 'gen', 'col', 'capt', 'lt', 'sgt', 'maj', 'adm', 'cmdr',
  'gov', 'sen', 'rep', 'pres', 'supt', 'st', 'mt', 'ft', 'vs', 'cf', 'viz', 'approx', 'al', 'esq',
]);
/** Abbreviations only when a number follows: "No. 5", "Jan. 12", "p. 4". */
const NUMBER_ABBREVIATIONS = new Set([
  'no', 'nos', 'vol', 'vols', 'p', 'pp', 'fig', 'figs', 'art', 'sec', 'ch', 'par',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
]);

const CANDIDATE = /[.!?\u2026]+["'\u201d\u2019\u00bb)\]]*(?=\s|$)|\n/g;
const LINE_MARKER = /^[ \t]*(?:#{1,6}[ \t]|[-*+>|][ \t]|\d{1,3}[.)][ \t]|=+[ \t]*$|-{3,}[ \t]*$)/;

export function splitSentences(text: string): Span[] {
  const spans: Span[] = [];
  let start = skipSpace(text, 0);
  const push = (end: number) => {
    while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
    if (end > start) spans.push({ start, end });
  };
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m; m = CANDIDATE.exec(text)) {
    if (m.index < start) continue;
    if (m[0] === '\n') {
      if (!isLineBoundary(text, m.index)) continue;
      push(m.index);
    } else {
      const end = m.index + m[0].length;
      if (!isSentenceEnd(text, m.index, end)) continue;
      push(end);
    }
    start = skipSpace(text, m.index + m[0].length);
    CANDIDATE.lastIndex = Math.max(CANDIDATE.lastIndex, start);
  }
  push(text.length);
  return spans;
}

/** A single newline ends a sentence only at a paragraph break, a heading, a list item or after a colon; other line breaks are wrapping (PDF, hard-wrapped text). */
function isLineBoundary(text: string, nl: number): boolean {
  let next = nl + 1;
  while (next < text.length && (text[next] === ' ' || text[next] === '\t' || text[next] === '\r')) next++;
  if (next >= text.length || text[next] === '\n') return true;
  const lineStart = text.lastIndexOf('\n', nl - 1) + 1;
  const line = text.slice(lineStart, nl);
  if (/:\s*$/.test(line) || LINE_MARKER.test(line)) return true;
  const nextEnd = text.indexOf('\n', next);
  return LINE_MARKER.test(text.slice(next, nextEnd === -1 ? text.length : Math.min(nextEnd, next + 16)));
}

function isSentenceEnd(text: string, punct: number, end: number): boolean {
  const nextChar = firstLetterOrDigitAfter(text, end);
  // "approx. five", "(e.g. this)": a lowercase continuation is never a new sentence.
  if (nextChar && isLower(nextChar)) return false;
  if (text[punct] !== '.') return true;
  if (text.startsWith('...', punct) || text[punct + 1] === '.') return true; // ellipsis before a capital
  let w = punct;
  while (w > 0 && (isLetter(text.charCodeAt(w - 1)) || text[w - 1] === '.')) w--;
  const word = text.slice(w, punct);
  if (word.length === 0) return true; // "1803." or ")."
  const lower = word.toLowerCase();
  if (ALWAYS_ABBREVIATIONS.has(lower)) return false;
  if (NUMBER_ABBREVIATIONS.has(lower) && nextChar !== undefined && isDigit(nextChar)) return false;
  // Initials and dotted acronyms: "J. Smith", "U.S. Congress", "e.g. Paris". A following line break still ends the sentence.
  if (/^[A-Za-z](?:\.[A-Za-z])*$/.test(word)) return /^[ \t]*\n/.test(text.slice(end, end + 8)) ? true : false;
  return true;
}

function firstLetterOrDigitAfter(text: string, from: number): string | undefined {
  const limit = Math.min(text.length, from + 12);
  for (let i = from; i < limit; i++) {
    const c = text[i];
    if (/[\p{L}\p{N}]/u.test(c)) return c;
    if (!/[\s"'\u201c\u2018\u00ab(\[]/.test(c)) return undefined;
  }
  return undefined;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 0x2028 || c === 0x2029 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c <= 0x24f);
}

function isLower(c: string): boolean {
  return c !== c.toUpperCase() && c === c.toLowerCase();
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
