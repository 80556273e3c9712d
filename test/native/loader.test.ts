/**
 * lib/native.ts chooses the binary by C library: prebuilds are tagged glibc or musl
 * (scripts/prebuild.js), and a glibc binary is never loaded on musl (issue 9 item 7).
 * The fixtures are real directories holding copies of the real binaries.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ERR_ADDON_UNAVAILABLE, findBinary, libcFromMaps, loadFrom, runningLibc } from '../../lib/native';

const root = path.resolve(__dirname, '..', '..');
// The addon this checkout loads (build/Release, or the prebuild once `npm run prebuild` ran).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const built = (require('node-gyp-build') as { resolve(dir: string): string }).resolve(root);
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-loader-'));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

// A package directory whose prebuilds/linux-<arch>/ holds copies of the built addon under
// the given names.
function packageWith(names: string[], arch: string = process.arch): string {
  const dir = fs.mkdtempSync(path.join(work, 'pkg-'));
  const prebuilds = path.join(dir, 'prebuilds', `linux-${arch}`);
  fs.mkdirSync(prebuilds, { recursive: true });
  for (const name of names) fs.copyFileSync(built, path.join(prebuilds, name));
  return dir;
}

test('this Node runs on glibc, as the C library mapped into this process shows', () => {
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  const glibcMapped = /\/libc\.so\.6$/m.test(maps) && !/ld-musl-/.test(maps);
  expect(glibcMapped).toBe(true);
  expect(runningLibc()).toBe('glibc');
});

test("runningLibc's answer from /proc/self/maps is the one Node's report gives", () => {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  expect(libcFromMaps(fs.readFileSync('/proc/self/maps', 'latin1'))).toBe(report.header?.glibcVersionRuntime ? 'glibc' : 'musl');
});

test('the C library is told from the loader and libc paths a maps file names', () => {
  const line = (p: string): string => `7f0000000000-7f0000001000 r-xp 00000000 08:01 1234    ${p}\n`;
  expect(libcFromMaps(line('/usr/bin/node') + line('/usr/lib/x86_64-linux-gnu/libc.so.6'))).toBe('glibc');
  // Before glibc 2.34 the file is libc-2.<minor>.so (Debian 11, Ubuntu 20.04, RHEL 8).
  expect(libcFromMaps(line('/usr/bin/node') + line('/lib/x86_64-linux-gnu/libc-2.31.so'))).toBe('glibc');
  expect(libcFromMaps(line('/usr/bin/node') + line('/lib/ld-musl-x86_64.so.1'))).toBe('musl');
  // gcompat maps a libc.so.6 beside musl's loader: still musl.
  expect(libcFromMaps(line('/lib/ld-musl-aarch64.so.1') + line('/lib/libc.so.6'))).toBe('musl');
  // A statically linked Node, or a name that only contains the soname: undecided (the report decides).
  expect(libcFromMaps(line('/usr/bin/node') + line('[vdso]'))).toBeUndefined();
  expect(libcFromMaps(line('/opt/libc.so.6.bak') + line('/opt/ld-musl-x86_64.so.1.old'))).toBeUndefined();
  expect(libcFromMaps('')).toBeUndefined();
});

test('on glibc the glibc-tagged prebuild is chosen, never the musl one', () => {
  const dir = packageWith(['unixproc.musl.node', 'unixproc.glibc.node']);
  expect(findBinary(dir, 'glibc')).toBe(path.join(dir, 'prebuilds', `linux-${process.arch}`, 'unixproc.glibc.node'));
});

test('on musl a glibc prebuild is not chosen, tagged or untagged', () => {
  expect(findBinary(packageWith(['unixproc.glibc.node']), 'musl')).toBeUndefined();
  expect(findBinary(packageWith(['unixproc.node']), 'musl')).toBeUndefined();
});

test('on musl the musl-tagged prebuild is chosen', () => {
  const dir = packageWith(['unixproc.glibc.node', 'unixproc.musl.node']);
  expect(findBinary(dir, 'musl')).toBe(path.join(dir, 'prebuilds', `linux-${process.arch}`, 'unixproc.musl.node'));
});

test('a prebuild for another architecture is not chosen', () => {
  const other = process.arch === 'arm64' ? 'x64' : 'arm64';
  expect(findBinary(packageWith(['unixproc.glibc.node'], other), 'glibc')).toBeUndefined();
});

test("a fork-addon prebuild is chosen only for this Node's ABI", () => {
  const abi = process.versions.modules;
  const dir = packageWith(['node.abi1.musl.node', `node.abi${abi}.glibc.node`]);
  expect(findBinary(dir, 'musl')).toBeUndefined();
  expect(findBinary(dir, 'glibc')).toBe(path.join(dir, 'prebuilds', `linux-${process.arch}`, `node.abi${abi}.glibc.node`));
});

test('a build made on this machine (build/Release) comes before any prebuild', () => {
  const dir = packageWith(['unixproc.musl.node']);
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(built, path.join(dir, 'build', 'Release', 'unixproc.node'));
  expect(findBinary(dir, 'musl')).toBe(path.join(dir, 'build', 'Release', 'unixproc.node'));
});

test('on musl with only glibc prebuilds, loading fails with ERR_UNIXPROC_ADDON_UNAVAILABLE naming what to install', () => {
  const dir = packageWith(['unixproc.glibc.node']);
  let caught: (Error & { code?: string }) | undefined;
  try {
    loadFrom(dir, 'musl');
  } catch (err) {
    caught = err as Error & { code?: string };
  }
  expect(caught?.code).toBe(ERR_ADDON_UNAVAILABLE);
  expect(caught?.code).toBe('ERR_UNIXPROC_ADDON_UNAVAILABLE');
  expect(caught?.message).toContain(`linux-${process.arch} with musl`);
  expect(caught?.message).toContain('apk add python3 make g++');
  expect(caught?.message).toContain('npm rebuild unixproc');
});

test('on glibc the tagged prebuild loads and its functions run', () => {
  const dir = packageWith(['unixproc.musl.node', 'unixproc.glibc.node']);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'unixproc-loader-fixture' }));
  const addon = loadFrom(dir, 'glibc') as { getpid: () => number };
  expect(addon.getpid()).toBe(process.pid);
});

// In a fresh node: which binary loadFrom() took, and whether node-gyp-build was loaded for it.
function loadInChild(dir: string, env: NodeJS.ProcessEnv = {}): { pidMatches: boolean; nodeGypBuild: boolean; binaries: string[] } {
  const script = `
    const { loadFrom } = require('./lib/native');
    const addon = loadFrom(${JSON.stringify(dir)}, 'glibc');
    const keys = Object.keys(require.cache);
    console.log(JSON.stringify({ pidMatches: addon.getpid() === process.pid, nodeGypBuild: keys.some((k) => k.includes('node-gyp-build')),
      binaries: keys.filter((k) => k.endsWith('.node')) }));`;
  const base = { ...process.env };
  for (const k of ['PREBUILDS_ONLY', 'LIBC', 'npm_config_arch', 'npm_config_platform']) delete base[k];
  const r = spawnSync(process.execPath, ['-r', './test/helpers/ts-register.js', '-e', script], { cwd: root, env: { ...base, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { pidMatches: boolean; nodeGypBuild: boolean; binaries: string[] };
}

test('on glibc a tagged prebuild is loaded without loading node-gyp-build', () => {
  const dir = packageWith(['unixproc.musl.node', 'unixproc.glibc.node']);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'unixproc-loader-fixture' }));
  expect(loadInChild(dir)).toEqual({
    pidMatches: true,
    nodeGypBuild: false,
    binaries: [path.join(dir, 'prebuilds', `linux-${process.arch}`, 'unixproc.glibc.node')],
  });
});

test("with an environment variable that changes node-gyp-build's choice, node-gyp-build chooses (the same prebuild here)", () => {
  const dir = packageWith(['unixproc.musl.node', 'unixproc.glibc.node']);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'unixproc-loader-fixture' }));
  expect(loadInChild(dir, { PREBUILDS_ONLY: '1' })).toEqual({
    pidMatches: true,
    nodeGypBuild: true,
    binaries: [path.join(dir, 'prebuilds', `linux-${process.arch}`, 'unixproc.glibc.node')],
  });
});

test('on glibc with no binary for this machine, loading fails with ERR_UNIXPROC_ADDON_UNAVAILABLE and the reason', () => {
  const dir = packageWith(['unixproc.musl.node']);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'unixproc-loader-fixture' }));
  let caught: (Error & { code?: string; cause?: unknown }) | undefined;
  try {
    loadFrom(dir, 'glibc');
  } catch (err) {
    caught = err as Error & { code?: string; cause?: unknown };
  }
  expect(caught?.code).toBe('ERR_UNIXPROC_ADDON_UNAVAILABLE');
  expect(caught?.message).toContain('No native build was found');
  expect(caught?.cause).toBeInstanceOf(Error);
});
