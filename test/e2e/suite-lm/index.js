// Mocha entry for the vscode-lm suite (run twice on one folder: see lm.e2e.js).
exports.run = require('../mochaEntry').suiteRunner(__dirname);
