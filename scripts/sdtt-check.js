// Runs structured-data-testing-tool's presets on an HTML file and prints the failed tests as
// JSON (`{"passed": N, "failed": [...]}`). Its CLI writes no report when every test passes, so
// the tests call the library. Usage: NODE_PATH=<node_modules> node sdtt-check.js FILE PRESETS
'use strict';
const fs = require('fs');
const { structuredDataTest } = require('structured-data-testing-tool');
const presets = require('structured-data-testing-tool/presets');

const [file, names] = process.argv.slice(2);
const html = fs.readFileSync(file, 'utf8');
const chosen = names.split(',').map((name) => {
  const preset = presets[name.trim()];
  if (!preset) throw new Error('no preset ' + name);
  return preset;
});
const report = (res) => ({
  passed: res.passed.length,
  failed: res.failed.map((t) => `${t.test} (${t.description})`),
});
structuredDataTest(html, { presets: chosen })
  .then((res) => console.log(JSON.stringify(report(res))))
  .catch((err) => {
    if (err.type !== 'VALIDATION_FAILED') throw err;
    console.log(JSON.stringify(report(err.res)));
  });
