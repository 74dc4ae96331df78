// Loading sql.js (SQLite compiled to WebAssembly). The wasm ships beside the bundle (dist/sql-wasm.wasm, copied by
// esbuild.js); when running from sources (tests, tsx) it is resolved from node_modules.
import * as fs from 'fs';
import * as path from 'path';
import initSqlJs, { type SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

function wasmPath(): string {
  const besideBundle = path.join(__dirname, 'sql-wasm.wasm');
  if (fs.existsSync(besideBundle)) return besideBundle;
  // From sources (tests): node_modules. Hidden from esbuild, which would otherwise try to bundle the path.
  const resolve = require.resolve;
  return resolve('sql.js/dist/sql-wasm.wasm');
}

export function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= initSqlJs({ locateFile: () => wasmPath() });
  return loading;
}
