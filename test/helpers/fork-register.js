'use strict';
// Lets plain `node --single-threaded` scripts (test/fixtures/fork, bench/) require the
// TypeScript sources under lib/ directly: each .ts file is transpiled on load with the
// typescript package's transpileModule (no type check; `tsc --noEmit` does that). Forking
// must happen in such a separate process: jest workers do not run single-threaded.
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = function loadTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
