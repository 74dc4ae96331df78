// Mocha entry executed inside the real (remote, Node) extension host; same contract as @vscode/test-electron.
const path = require('path');
const fs = require('fs');
const Mocha = require('mocha');

exports.run = function run() {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180000, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).sort()) if (f.endsWith('.e2e.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} e2e test(s) failed.`)) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
};
