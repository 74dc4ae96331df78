// Extracts the plain text of one document. Every failure a user can cause (bad file, wrong
// format, no permission, empty) becomes a DocumentReadError with one clear sentence; only
// cancellation passes through as an AbortError.
import * as fs from 'fs';
import * as path from 'path';
import type { ParsedDocument } from '../types';
import { AbortError, isAbortError, throwIfAborted } from '../ports';

export const SUPPORTED_EXTENSIONS: readonly string[] = ['.md', '.markdown', '.txt', '.rst', '.html', '.htm', '.pdf', '.docx'];

export class DocumentReadError extends Error {
  constructor(
    message: string,
    /** The file, as given to readDocument. */
    readonly absPath: string,
  ) {
    super(message);
    this.name = 'DocumentReadError';
  }
}

export async function readDocument(absPath: string, signal?: AbortSignal): Promise<ParsedDocument> {
  const name = path.basename(absPath);
  const ext = path.extname(absPath).toLowerCase();
  const fail = (verb: 'read' | 'parse', cause: string) =>
    new DocumentReadError(`Could not ${verb} ${name}: ${cause}.`, absPath);

  if (!SUPPORTED_EXTENSIONS.includes(ext)) {
    throw fail('read', `the file type ${ext ? `"${ext}"` : '(no extension)'} is not supported (supported: ${SUPPORTED_EXTENSIONS.join(', ')})`);
  }
  throwIfAborted(signal);
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(absPath, { signal });
  } catch (e) {
    if (isAbortError(e)) throw new AbortError();
    throw fail('read', describeFsError(e));
  }
  if (bytes.length === 0) throw fail('read', 'the file is empty');

  let doc: ParsedDocument;
  try {
    if (ext === '.pdf') doc = await extractPdf(bytes, signal);
    else if (ext === '.docx') doc = await extractDocx(bytes);
    else if (ext === '.html' || ext === '.htm') doc = { text: await htmlToText(decodeHtml(bytes)) };
    else doc = { text: decodeText(bytes) };
  } catch (e) {
    if (isAbortError(e)) throw e;
    if (e instanceof ContentError) throw fail('parse', e.message);
    throw fail('parse', describeParseError(ext, e));
  }
  throwIfAborted(signal);
  if (doc.text.trim() === '') {
    throw fail('read', ext === '.pdf' ? 'the PDF contains no extractable text (it may be scanned images)' : 'the file contains no text');
  }
  return doc;
}

/** A problem with the content itself, already phrased for the user. */
class ContentError extends Error {}

function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

function decodeText(bytes: Uint8Array, label = 'utf-8'): string {
  // UTF-16 files announce themselves with a BOM; without one, a NUL byte means binary, not text.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return normaliseNewlines(new TextDecoder('utf-16le').decode(bytes));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return normaliseNewlines(new TextDecoder('utf-16be').decode(bytes));
  if (bytes.subarray(0, 8192).includes(0)) throw new ContentError('the file looks binary, not text');
  try {
    // TextDecoder drops a UTF-8 BOM by default.
    return normaliseNewlines(new TextDecoder(label, { fatal: true }).decode(bytes));
  } catch {
    throw new ContentError(label === 'utf-8' ? 'the file is not valid UTF-8 text' : `the file is not valid ${label} text`);
  }
}

/** HTML may declare its own encoding (old pages are often windows-1252); honour a <meta charset> we can decode. */
function decodeHtml(bytes: Uint8Array): string {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 2048));
  const declared = /<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)/i.exec(head)?.[1]?.toLowerCase();
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    try {
      new TextDecoder(declared);
      return decodeText(bytes, declared);
    } catch (e) {
      if (e instanceof ContentError) throw e;
      // unknown label: fall through to UTF-8
    }
  }
  return decodeText(bytes);
}

async function htmlToText(html: string): Promise<string> {
  const { convert } = await import('html-to-text');
  const text = convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'svg', format: 'skip' },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
    ],
  });
  return normaliseNewlines(text);
}

async function extractDocx(bytes: Uint8Array): Promise<ParsedDocument> {
  const mammoth = await import('mammoth');
  const extractRawText = mammoth.extractRawText ?? (mammoth as unknown as { default: typeof mammoth }).default.extractRawText;
  const result = await extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  return { text: normaliseNewlines(result.value) };
}

const PDFJS_IMPORT_NOISE = /^Warning: Cannot (access the `require` function|polyfill `|load "@napi-rs)/;

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsLoading: Promise<Pdfjs> | undefined;

/**
 * pdfjs runs without a worker thread in Node ("fake worker"). Rather than let it import its worker
 * from a path (which breaks once esbuild bundles us into one CJS file), we import the worker module
 * ourselves — a literal import, so the bundler includes it — and hand it over via globalThis.pdfjsWorker.
 */
function loadPdfjs(): Promise<Pdfjs> {
  pdfjsLoading ??= (async () => {
    // When bundled to CJS, pdfjs's import-time probe for optional canvas polyfills (which text
    // extraction never uses) fails and prints "Warning: ..." to stdout, corrupting `--json` output.
    const log = console.log;
    console.log = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && PDFJS_IMPORT_NOISE.test(args[0])) return;
      log.apply(console, args);
    };
    try {
      const [pdfjs, worker] = await Promise.all([
        import('pdfjs-dist/legacy/build/pdf.mjs'),
        import('pdfjs-dist/legacy/build/pdf.worker.mjs'),
      ]);
      (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
      return pdfjs;
    } finally {
      console.log = log;
    }
  })();
  pdfjsLoading.catch(() => (pdfjsLoading = undefined));
  return pdfjsLoading;
}

async function extractPdf(bytes: Uint8Array, signal?: AbortSignal): Promise<ParsedDocument> {
  const pdfjs = await loadPdfjs();
  throwIfAborted(signal);
  // pdfjs takes ownership of (detaches) the buffer it is given: pass a copy.
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    verbosity: pdfjs.VerbosityLevel.ERRORS,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
  });
  const onAbort = () => void task.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const pdf = await task.promise;
    let text = '';
    const pageStarts: number[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      throwIfAborted(signal);
      if (n > 1) text += '\n\n';
      pageStarts.push(text.length);
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      page.cleanup();
    }
    return { text: normaliseNewlines(text), pageStarts };
  } catch (e) {
    if (signal?.aborted) throw new AbortError();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await task.destroy().catch(() => undefined);
  }
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return `${code ? `${code}: ` : ''}${trimMessage(e)}`;
  }
}

function describeParseError(ext: string, e: unknown): string {
  const name = (e as Error)?.name;
  const message = trimMessage(e);
  if (ext === '.pdf') {
    if (name === 'PasswordException') return 'the PDF is password-protected';
    if (name === 'InvalidPDFException') return `the file is not a valid PDF (${message})`;
    return `the PDF could not be read (${message})`;
  }
  if (ext === '.docx') {
    if (/central directory|zip/i.test(message)) return 'the file is not a valid DOCX (it is not a zip archive)';
    return `the file is not a valid DOCX (${message})`;
  }
  return message;
}

/** One line, no trailing period (our sentence adds its own), bounded length. */
function trimMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  const line = raw.split('\n')[0].trim().replace(/[.\s]+$/, '');
  return line.length > 200 ? `${line.slice(0, 197)}...` : line || 'unknown error';
}
