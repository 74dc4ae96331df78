// Shared by the in-host suites: poll until `fn` returns something truthy (and return it), or fail naming `what`.
async function waitFor(what, fn, timeoutMs = 150000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

module.exports = { waitFor };
