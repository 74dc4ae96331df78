// Mocha entry executed inside the real (remote, Node) extension host.
exports.run = require('../mochaEntry').suiteRunner(__dirname);
