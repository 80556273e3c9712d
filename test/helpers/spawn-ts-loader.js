'use strict';
// `node -r test/helpers/spawn-ts-loader.js`: lets a plain child node process require the
// library's TypeScript sources (transpiled on the fly), so tests can run library code in a
// separate process (a parent that dies, a heap measured with --expose-gc).
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
