// One build script for every bundle: the CLI, the engine worker, the extension host and the dashboard page.
// esbuild does not type-check; `npm run typecheck` (tsc --noEmit) runs beside it in `npm test`.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const dist = path.join(__dirname, 'dist');

/** Report errors in the `file:line:col: error:` form VS Code's problem matcher understands. */
const problemMatcher = {
  name: 'problem-matcher',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
    });
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: [problemMatcher],
};

const nodeEntries = [
  { in: 'src/cli/main.ts', out: 'cli' },
  { in: 'src/engine/worker/engineWorker.ts', out: 'engineWorker' },
  { in: 'src/engine/tree/buildWorker.ts', out: 'buildWorker' },
  { in: 'src/extension/extension.ts', out: 'extension' },
].filter((e) => fs.existsSync(path.join(__dirname, e.in)));

const browserEntries = [{ in: 'webview/main.ts', out: 'webview' }].filter((e) =>
  fs.existsSync(path.join(__dirname, e.in)),
);

/**
 * sql.js loads its wasm at run time; ship it once beside the bundles (resolved with locateFile). pdfjs's worker is
 * bundled (documents/read.ts imports it), so it needs no file of its own.
 */
function copyAssets() {
  fs.mkdirSync(dist, { recursive: true });
  fs.copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), path.join(dist, 'sql-wasm.wasm'));
  fs.rmSync(path.join(dist, 'pdf.worker.mjs'), { force: true });
}

async function main() {
  copyAssets();
  const contexts = [];
  if (nodeEntries.length) {
    contexts.push(
      await esbuild.context({
        ...common,
        entryPoints: nodeEntries,
        outdir: dist,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        external: ['vscode'],
      }),
    );
  }
  if (browserEntries.length) {
    contexts.push(
      await esbuild.context({
        ...common,
        entryPoints: browserEntries,
        outdir: dist,
        platform: 'browser',
        target: 'es2022',
        format: 'iife',
      }),
    );
  }
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
  } else {
    await Promise.all(contexts.map((c) => c.rebuild()));
    await Promise.all(contexts.map((c) => c.dispose()));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
