// Mocha entry for the multi-root suite (a .code-workspace with two folders).
exports.run = require('../mochaEntry').suiteRunner(__dirname);
