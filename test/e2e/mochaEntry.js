// The Mocha entry every in-host suite exports (same contract as @vscode/test-electron's runTests): run the suite's
// *.e2e.js files inside the real extension host; a failing test rejects, so the host exits non-zero.
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');

/** run() for the suite in `dir`: every *.e2e.js file there, in name order. */
exports.suiteRunner = (dir) =>
  function run() {
    const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180000, reporter: 'spec' });
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.e2e.js')) mocha.addFile(path.join(dir, f));
    return new Promise((resolve, reject) => {
      try {
        mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} e2e test(s) failed.`)) : resolve()));
      } catch (err) {
        reject(err);
      }
    });
  };
