// Mocha entry for the Restricted Mode suite (an untrusted folder), run inside the real extension host.
const path = require('path');
const Mocha = require('mocha');

exports.run = function run() {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 180000, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, 'restricted.e2e.js'));
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} e2e test(s) failed.`)) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
};
