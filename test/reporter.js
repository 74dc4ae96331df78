// Mocha's spec reporter, plus a closing "N passed, N failed" line (and, with RAPTOR_TEST_TOTALS set, the same
// figures appended to that file so scripts/test.mjs can add up every suite).
'use strict';
const fs = require('fs');
const Mocha = require('mocha');

class SpecWithTotals extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const label = process.env.RAPTOR_TEST_LABEL || 'tests';
    runner.once('end', () => {
      const { passes = 0, failures = 0, pending = 0 } = this.stats;
      console.log(`${label}: ${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`);
      if (process.env.RAPTOR_TEST_TOTALS) {
        fs.appendFileSync(process.env.RAPTOR_TEST_TOTALS, JSON.stringify({ label, passes, failures, pending }) + '\n');
      }
    });
  }
}
module.exports = SpecWithTotals;
