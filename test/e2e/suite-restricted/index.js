// Mocha entry for the Restricted Mode suite (an untrusted folder).
exports.run = require('../mochaEntry').suiteRunner(__dirname);
