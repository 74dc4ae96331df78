// The text analysis shared by the local embedder and the extractive summarizer: lowercase words,
// English stopwords dropped, a light suffix stemmer, so that hashed features of "purchased" and
// "purchase" meet in the same bucket.

/** Common English function words: frequent everywhere, so they only blur similarity. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each either else ever every few for from further had has have having he her here ' +
    'hers herself him himself his how however i if in into is it its itself just let me may might more most must my myself no ' +
    'nor not now of off on once only or other ought our ours ourselves out over own same shall she should so some such than that ' +
    'the their theirs them themselves then there these they this those through thus to too under until up upon us very was we ' +
    'were what when where whether which while who whom whose why will with within without would yet you your yours yourself ' +
    'yourselves one two many much well like s t d ll m re ve'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}]+(?:['\u2019][\p{L}]+)*/gu;

/** Lowercased word tokens of a text, in order (apostrophe suffixes kept: "nation's"). */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** A deliberately light stemmer (plural, -ing, -ed, -ly, final e): cheap and rarely wrong. */
export function stem(word: string): string {
  let w = word;
  const apos = w.search(/['\u2019]/);
  if (apos > 0) w = w.slice(0, apos); // nation's -> nation
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4) w = undouble(w.slice(0, -2));
  else if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 4) w = w.slice(0, -1);
  if (w.endsWith('y') && w.length > 4) w = w.slice(0, -1) + 'i';
  return w;
}

/** "stopped" -> "stopp" -> "stop", but "added" -> "add" stays (ll/ss/zz/dd are kept). */
function undouble(w: string): string {
  const n = w.length;
  if (n > 3 && w[n - 1] === w[n - 2] && !'lsz'.includes(w[n - 1]) && !/[aeiou]/.test(w[n - 1])) return w.slice(0, -1);
  return w;
}

/** Content words (stopwords dropped, stemmed); all words when the text is nothing but stopwords. */
export function contentTerms(text: string): string[] {
  const all = words(text);
  const content = all.filter((w) => !STOPWORDS.has(w) && w.length > 1);
  return (content.length ? content : all).map(stem);
}

/**
 * Frequent English content words: they carry some meaning, so unlike stopwords they are kept, but
 * with less weight (a fixed stand-in for IDF, which a per-text embedder cannot compute).
 */
export const COMMON_WORDS: ReadonlySet<string> = new Set(
  (
    'able across actually add ago almost along already although always among another anything around away back become ' +
    'began begin behind believe best better big bring call came certain change clear come concern consider continue course day ' +
    'different done during early end enough even example far feel find first following found full general get give given go ' +
    'going good got great group hand happen hard help high hold home important include increase keep kind know known large last ' +
    'later least leave less level life little long look made main make making matter mean means need never new next number ' +
    'often old order part particular past people per place point possible present problem provide put question rather real ' +
    'really reason recent result right said same saw say second see seem seen set several shall show side since small ' +
    'something soon special still such sure take taken tell therefore thing think three time today together took toward ' +
    'true try turn use used using way whole work world year years yet'
  )
    .split(' ')
    .map(stem),
);
