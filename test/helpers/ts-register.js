'use strict';
// Lets a plain node process require the TypeScript sources under lib/ directly (`node -r
// test/helpers/ts-register.js`, or require() it first): each .ts file is transpiled on load
// with the typescript package's transpileModule (no type check; `tsc --noEmit` does that).
// Tests use it to run library code in a separate process: a `node --single-threaded` that
// forks (jest workers are not single-threaded), a parent that dies, a heap measured with
// --expose-gc, a script on a new terminal. bench/ uses it when dist/ is not built.
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = function loadTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
