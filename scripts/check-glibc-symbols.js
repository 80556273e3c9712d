#!/usr/bin/env node
// Asserts that every glibc binary of unixproc loads wherever Node 20 runs: it may need no
// symbol version newer than Node 20's own binary needs (GLIBC_2.28: RHEL 8, Debian 10,
// Ubuntu 20.04; GLIBCXX_3.4.21 and CXXABI_1.3.9 from libstdc++), issue 9 item 7.
//
// It reads the "version needs" section (readelf -V), the list ld.so(8) checks when it
// loads a binary (a version missing there fails the load: "version `GLIBC_2.34' not found"),
// and names the symbols that need each version (readelf --dyn-syms). readelf reads ELF of
// any architecture, so the arm64 prebuilds are checked on an x64 machine too.
//
// Usage: node scripts/check-glibc-symbols.js [file.node|executable...]
//   Without files: every glibc prebuild under prebuilds/ and fork-addon/prebuilds/ (a
//   musl-tagged one is skipped: musl has no symbol versions), and each prebuilds/linux-<arch>/
//   unixproc-shepherd executable.
// Prints one line per binary; exits 1 when a binary needs too new a version (or none found).
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** The newest version of each library a binary may need (Node 20's own binary's needs). */
const LIMITS = { GLIBC: '2.28', GLIBCXX: '3.4.21', CXXABI: '1.3.9' };

function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

function readelf(args, file) {
  return execFileSync('readelf', [...args, '-W', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 30, // node itself has tens of thousands of dynamic symbols
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The versions one binary needs, by library: { GLIBC: ['2.2.5', '2.14'], GLIBCXX: [...] }. */
function versionNeeds(file) {
  const versions = {};
  for (const m of readelf(['-V'], file).matchAll(/Name: ([A-Z]+)_([0-9.]+)\s+Flags/g)) {
    (versions[m[1]] ||= []).push(m[2]);
  }
  return versions;
}

/** The undefined symbols of one binary by the version they need: { 'GLIBC_2.14': ['memcpy'] }. */
function symbolsByVersion(file) {
  const symbols = {};
  for (const line of readelf(['--dyn-syms'], file).split('\n')) {
    const m = /\sUND\s+(\S+?)@([A-Z]+_[0-9.]+)/.exec(line);
    if (m) (symbols[m[2]] ||= []).push(m[1]);
  }
  return symbols;
}

/** The problems of one binary: each version over its limit, with the symbols that need it. */
function check(file) {
  const versions = versionNeeds(file);
  const highest = {};
  const over = [];
  for (const [lib, list] of Object.entries(versions)) {
    highest[lib] = list.slice().sort(compareVersions).pop();
    const limit = LIMITS[lib];
    if (limit === undefined) continue;
    for (const v of list) if (compareVersions(v, limit) > 0) over.push([lib, v, limit]);
  }
  // The symbol table only when there is something to explain (node's own is large).
  const symbols = over.length > 0 ? symbolsByVersion(file) : {};
  const problems = over.map(([lib, v, limit]) => {
    const who = symbols[`${lib}_${v}`] || [];
    return `${lib}_${v} > ${lib}_${limit} (${who.join(', ') || 'no symbol named'})`;
  });
  return { file, highest, problems };
}

/** The glibc prebuilds of the package rooted at root (musl-tagged ones left out). */
function glibcPrebuilds(root) {
  const out = [];
  for (const dir of [path.join(root, 'prebuilds'), path.join(root, 'fork-addon', 'prebuilds')]) {
    if (!fs.existsSync(dir)) continue;
    for (const platform of fs.readdirSync(dir)) {
      if (!platform.startsWith('linux-')) continue;
      for (const name of fs.readdirSync(path.join(dir, platform))) {
        // The shepherd executable is statically linked: it needs no version, and this says so.
        if (name === 'unixproc-shepherd' || (name.endsWith('.node') && !name.split('.').includes('musl'))) {
          out.push(path.join(dir, platform, name));
        }
      }
    }
  }
  return out.sort();
}

function main(argv) {
  const files = argv.length > 0 ? argv : glibcPrebuilds(path.resolve(__dirname, '..'));
  if (files.length === 0) {
    console.error('check-glibc-symbols: no glibc prebuild found (run `npm run prebuild` first)');
    return 1;
  }
  let failed = 0;
  for (const file of files) {
    const r = check(file);
    const summary = Object.entries(r.highest).map(([lib, v]) => `${lib}_${v}`).join(' ');
    if (r.problems.length === 0) {
      console.log(`ok ${path.relative(process.cwd(), file)}: highest ${summary}`);
    } else {
      failed++;
      console.log(`FAIL ${path.relative(process.cwd(), file)}: ${r.problems.join('; ')}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

module.exports = { LIMITS, check, compareVersions, glibcPrebuilds, symbolsByVersion, versionNeeds };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
