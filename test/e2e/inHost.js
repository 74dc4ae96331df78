// Shared by the in-host suites (they run inside the real extension host).
const fs = require('fs');
const path = require('path');

const SOTU = path.join(__dirname, '..', '..', 'node_modules', '@stdlib', 'datasets-sotu', 'data');

/** Poll until `fn` returns something truthy (and return it), or fail naming `what`. */
async function waitFor(what, fn, timeoutMs = 150000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A poll for waitFor: the merged status once the task is in `state` and nothing runs in this window. */
const settled = (api, state) => () => {
  const s = api.status();
  return s && s.status === state && api.running().length === 0 && s;
};

/**
 * Copy addresses that are in none of the workspace's subfolders yet into `root/sub`: `choose` picks them from the
 * sorted names. Returns the names copied.
 */
function addAddresses(root, sub, choose) {
  const have = new Set();
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (e.isDirectory() && !e.name.startsWith('.')) for (const f of fs.readdirSync(path.join(root, e.name))) have.add(f);
  }
  const picked = choose(fs.readdirSync(SOTU).filter((f) => f.endsWith('.txt') && !have.has(f)).sort());
  fs.mkdirSync(path.join(root, sub), { recursive: true });
  for (const f of picked) fs.copyFileSync(path.join(SOTU, f), path.join(root, sub, f));
  return picked;
}

module.exports = { waitFor, settled, addAddresses };
