import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discoverDocuments } from '../../src/engine/documents/discover';
import { contentHash } from '../../src/engine/documents/contentHash';
import { DocumentReadError, readDocument, SUPPORTED_EXTENSIONS } from '../../src/engine/documents/read';
import { DEFAULT_INCLUDE } from '../../src/engine/config';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'docs');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'raptor-docs-'));
}

function write(root: string, rel: string, content: string | Uint8Array): string {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  return abs;
}

async function readError(absPath: string): Promise<DocumentReadError> {
  try {
    await readDocument(absPath);
  } catch (e) {
    assert.ok(e instanceof DocumentReadError, `expected DocumentReadError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), 'one sentence, no stack');
    assert.ok(e.message.includes(path.basename(absPath)), 'names the file');
    return e;
  }
  throw new Error(`expected ${absPath} to fail`);
}

describe('documents: discovery', () => {
  let root: string;
  let outside: string;
  before(() => {
    root = tempDir();
    outside = tempDir();
    for (const rel of [
      'a.md',
      'notes/b.txt',
      'notes/c.html',
      'image.png',
      '.raptor/index.md',
      '.git/HEAD.md',
      'node_modules/pkg/README.md',
      'sub/node_modules/x.md',
      'build/out.md',
      'ignored.md',
      'drafts/wip.md',
      'logs/x.txt',
      'logs/keep.txt',
      'deep/er/skip.rst',
      'deep/er/ok.rst',
      '.hidden/secret.md',
    ])
      write(root, rel, `content of ${rel}`);
    write(root, '.gitignore', 'build/\nignored.md\nlogs/*.txt\n');
    // A nested .gitignore applies relative to its folder and overrides the root one.
    write(root, 'logs/.gitignore', '!keep.txt\n');
    write(root, 'deep/.gitignore', 'er/skip.rst\n');
    write(outside, 'outside.md', 'not ours');
    fs.symlinkSync(path.join(outside, 'outside.md'), path.join(root, 'link-out.md'));
    fs.symlinkSync(outside, path.join(root, 'link-out-dir'));
    fs.symlinkSync(path.join(root, 'a.md'), path.join(root, 'link-in.md'));
    fs.symlinkSync(root, path.join(root, 'notes', 'loop')); // a loop must not hang discovery
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('applies include/exclude globs, .gitignore files (nested, negated) and the always-skipped folders', async () => {
    const files = await discoverDocuments(root, { include: DEFAULT_INCLUDE, exclude: ['drafts/**'] });
    assert.deepEqual(
      files.map((f) => f.path),
      ['a.md', 'deep/er/ok.rst', 'link-in.md', 'logs/keep.txt', 'notes/b.txt', 'notes/c.html'],
    );
    const a = files[0];
    assert.equal(a.absPath, path.join(root, 'a.md'));
    assert.equal(a.size, Buffer.byteLength('content of a.md'));
    assert.ok(a.mtimeMs > 0);
  });

  it('honours a narrower include', async () => {
    const files = await discoverDocuments(root, { include: ['notes/**/*.txt'], exclude: [] });
    assert.deepEqual(
      files.map((f) => f.path),
      ['notes/b.txt'],
    );
  });

  it('accepts ./-prefixed patterns', async () => {
    const files = await discoverDocuments(root, { include: ['./notes/*.html'], exclude: [] });
    assert.deepEqual(
      files.map((f) => f.path),
      ['notes/c.html'],
    );
  });

  it('says clearly when the folder is missing or is a file', async () => {
    await assert.rejects(discoverDocuments(path.join(root, 'nope'), { include: DEFAULT_INCLUDE, exclude: [] }), {
      name: 'DiscoveryError',
      message: `The folder ${path.join(root, 'nope')} does not exist.`,
    });
    await assert.rejects(discoverDocuments(path.join(root, 'a.md'), { include: DEFAULT_INCLUDE, exclude: [] }), { name: 'DiscoveryError' });
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(discoverDocuments(root, { include: DEFAULT_INCLUDE, exclude: [], signal: ac.signal }), {
      name: 'AbortError',
    });
  });

  it('contentHash is sha256 hex of the bytes', () => {
    assert.equal(contentHash('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(contentHash(new TextEncoder().encode('abc')), contentHash('abc'));
  });
});

describe('documents: readers', () => {
  let dir: string;
  before(() => (dir = tempDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lists the supported extensions', () => {
    for (const ext of ['.md', '.markdown', '.txt', '.rst', '.html', '.htm', '.pdf', '.docx']) assert.ok(SUPPORTED_EXTENSIONS.includes(ext));
  });

  it('keeps markdown/text as is but normalises line endings', async () => {
    const md = write(dir, 'r.md', '# Title\r\n\r\nSome *text*.\rEnd\n');
    assert.deepEqual(await readDocument(md), { text: '# Title\n\nSome *text*.\nEnd\n' });
    const txt = write(dir, 'bom.txt', '\ufeffhello');
    assert.equal((await readDocument(txt)).text, 'hello');
    const rst = write(dir, 'r.rst', 'Title\n=====\n');
    assert.equal((await readDocument(rst)).text, 'Title\n=====\n');
  });

  it('reads UTF-16 text that has a BOM', async () => {
    const p = write(dir, 'u16.txt', Buffer.from([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]));
    assert.equal((await readDocument(p)).text, 'hi');
  });

  it('extracts HTML text without scripts, styles or link targets', async () => {
    const p = write(
      dir,
      'page.html',
      '<html><head><title>T</title><style>p{color:red}</style><script>var secret=1</script></head>' +
        '<body><h1>Hello</h1><p>A <a href="http://example.com">link</a> here.</p><script>alert(2)</script></body></html>',
    );
    const { text } = await readDocument(p);
    assert.match(text, /Hello/);
    assert.match(text, /A link here\./);
    assert.doesNotMatch(text, /secret|alert|color|example\.com/);
  });

  it('honours a declared HTML charset', async () => {
    const p = write(dir, 'old.htm', Buffer.from('<meta charset="windows-1252"><p>caf\xe9</p>', 'latin1'));
    assert.equal((await readDocument(p)).text, 'café');
  });

  it('extracts PDF text with page starts', async () => {
    const doc = await readDocument(path.join(FIXTURES, 'sample.pdf'));
    assert.equal(
      doc.text,
      'RAPTOR builds a tree of summaries.\nLeaves are chunks of the source text.\n\n' +
        'The second page talks about retrieval.\nQueries are matched against every layer.',
    );
    assert.deepEqual(doc.pageStarts, [0, doc.text.indexOf('The second page')]);
  });

  it('extracts DOCX text', async () => {
    const doc = await readDocument(path.join(FIXTURES, 'sample.docx'));
    assert.match(doc.text, /^The quarterly report covers revenue & costs\.\n\nRevenue grew by 4\.5 percent/);
    assert.equal(doc.pageStarts, undefined);
  });

  it('reports a corrupt PDF in one sentence', async () => {
    const e = await readError(write(dir, 'report.pdf', 'this is not a pdf'));
    assert.equal(e.message, 'Could not parse report.pdf: the file is not a valid PDF (Invalid PDF structure).');
  });

  it('reports a truncated PDF', async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'sample.pdf'));
    const e = await readError(write(dir, 'cut.pdf', bytes.subarray(0, 200)));
    assert.match(e.message, /^Could not parse cut\.pdf: /);
  });

  it('reports a corrupt DOCX', async () => {
    const e = await readError(write(dir, 'memo.docx', 'PK not really a zip'));
    assert.equal(e.message, 'Could not parse memo.docx: the file is not a valid DOCX (it is not a zip archive).');
  });

  it('reports empty, blank, binary and non-UTF-8 files', async () => {
    assert.equal((await readError(write(dir, 'empty.md', ''))).message, 'Could not read empty.md: the file is empty.');
    assert.equal((await readError(write(dir, 'blank.txt', ' \n\t\n'))).message, 'Could not read blank.txt: the file contains no text.');
    assert.equal(
      (await readError(write(dir, 'bin.txt', Buffer.from([0x41, 0x00, 0x42])))).message,
      'Could not parse bin.txt: the file looks binary, not text.',
    );
    assert.equal(
      (await readError(write(dir, 'latin.txt', Buffer.from('caf\xe9', 'latin1')))).message,
      'Could not parse latin.txt: the file is not valid UTF-8 text.',
    );
  });

  it('reports unsupported and missing files', async () => {
    assert.match((await readError(write(dir, 'tool.exe', 'MZ'))).message, /^Could not read tool\.exe: the file type "\.exe" is not supported/);
    assert.equal((await readError(path.join(dir, 'gone.txt'))).message, 'Could not read gone.txt: the file does not exist.');
  });

  it('reports unreadable files', async function () {
    if (process.getuid?.() === 0) return this.skip(); // root reads anything: permission cannot be tested
    const locked = write(dir, 'locked.txt', 'secret');
    fs.chmodSync(locked, 0o000);
    assert.equal((await readError(locked)).message, 'Could not read locked.txt: permission denied.');
  });

  it('passes cancellation through as an AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(readDocument(path.join(FIXTURES, 'sample.pdf'), ac.signal), { name: 'AbortError' });
  });

  it('parses a PDF when bundled by esbuild into one CJS file (as dist/cli.js is)', async function () {
    this.timeout(120_000);
    const esbuild = await import('esbuild');
    const out = tempDir();
    const entry = path.join(out, 'entry.ts');
    const readTs = path.join(__dirname, '..', '..', 'src', 'engine', 'documents', 'read.ts').replace(/\\/g, '/');
    fs.writeFileSync(
      entry,
      `import { readDocument } from ${JSON.stringify(readTs)};\n` +
        `readDocument(process.argv[2]).then((d) => process.stdout.write(JSON.stringify(d)), (e) => { process.stdout.write('ERROR ' + e.message); });\n`,
    );
    try {
      await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        outfile: path.join(out, 'cli.js'),
        logLevel: 'silent',
        nodePaths: [path.join(__dirname, '..', '..', 'node_modules')],
      });
      // Run from another folder so nothing can be resolved from the source tree's node_modules.
      const stdout = execFileSync(process.execPath, [path.join(out, 'cli.js'), path.join(FIXTURES, 'sample.pdf')], {
        cwd: os.tmpdir(),
        encoding: 'utf8',
      });
      const doc = JSON.parse(stdout); // also proves nothing else was printed to stdout
      assert.match(doc.text, /^RAPTOR builds a tree of summaries\./);
      assert.equal(doc.pageStarts.length, 2);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
