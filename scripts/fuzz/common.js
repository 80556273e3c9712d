'use strict';
// Shared by the fuzz driver and its workers.
const crypto = require('node:crypto');
const fc = require('fast-check');

/** The fast-check seed of call `index` of `target` in a run seeded `seed`. */
function inputSeed(seed, target, index) {
  return crypto.createHash('sha256').update(`${seed}\0${target}\0${index}`).digest().readInt32LE(0);
}

/** A short printable form of any value (fast-check's, guarded against values that throw). */
function describe(value, max = 400) {
  try {
    const s = fc.stringify(value);
    return s.length > max ? `${s.slice(0, max)}...(${s.length} chars)` : s;
  } catch {
    try {
      return `<${Object.prototype.toString.call(value)}>`;
    } catch {
      return '<unprintable>';
    }
  }
}

/**
 * Lets require() load lib/*.ts: each file transpiled (typescript's transpileModule, no type
 * check) once per content, cached in `cacheDir` so that each worker starts in a fraction
 * of a second.
 */
function installTsCache(root, cacheDir) {
  const fs = require('node:fs');
  const path = require('node:path');
  const ts = require('typescript');
  fs.mkdirSync(cacheDir, { recursive: true });
  require.extensions['.ts'] = function loadTs(module, filename) {
    const source = fs.readFileSync(filename, 'utf8');
    const key = crypto.createHash('sha1').update(filename).update('\0').update(source).digest('hex');
    const cached = path.join(cacheDir, `${key}.js`);
    let out;
    try {
      out = fs.readFileSync(cached, 'utf8');
    } catch {
      out = ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      }).outputText;
      fs.writeFileSync(`${cached}.${process.pid}`, out);
      fs.renameSync(`${cached}.${process.pid}`, cached);
    }
    module._compile(out, filename);
  };
}

module.exports = { inputSeed, describe, installTsCache };
