/**
 * The glibc binaries need no symbol version newer than Node 20's own binary does
 * (GLIBC_2.28, GLIBCXX_3.4.21, CXXABI_1.3.9), so one prebuild loads on RHEL 8, Debian 10,
 * Ubuntu 20.04 and newer (issue 9 item 7). Checked with scripts/check-glibc-symbols.js on
 * the binaries this checkout loads and on every glibc prebuild present (`npm run prebuild`;
 * the arm64 ones too: readelf reads any ELF).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

interface CheckResult {
  file: string;
  highest: Record<string, string>;
  problems: string[];
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const checker = require('../../scripts/check-glibc-symbols.js') as {
  LIMITS: Record<string, string>;
  check(file: string): CheckResult;
  compareVersions(a: string, b: string): number;
  glibcPrebuilds(root: string): string[];
};

const root = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const resolve = (require('node-gyp-build') as { resolve(dir: string): string }).resolve;

test('the limits are those of Node 20 itself: GLIBC_2.28, GLIBCXX_3.4.21, CXXABI_1.3.9', () => {
  expect(checker.LIMITS).toEqual({ GLIBC: '2.28', GLIBCXX: '3.4.21', CXXABI: '1.3.9' });
});

test('the node binary running this test is read too, and needs at most GLIBC_2.28 itself', () => {
  const node = checker.check(process.execPath);
  expect(node.highest.GLIBC).toBeDefined();
  expect(checker.compareVersions(node.highest.GLIBC, checker.LIMITS.GLIBC)).toBeLessThanOrEqual(0);
});

test.each([
  ['the main addon', root],
  ['the fork addon', path.join(root, 'fork-addon')],
])('%s this checkout loads needs at most GLIBC_2.28', (_name, dir) => {
  const r = checker.check(resolve(dir));
  expect(r.problems).toEqual([]);
  expect(checker.compareVersions(r.highest.GLIBC, '2.28')).toBeLessThanOrEqual(0);
});

test('the shepherd executable this checkout runs is static: it needs no glibc version at all', () => {
  const file = path.join(root, 'build', 'Release', 'unixproc-shepherd');
  const r = checker.check(file);
  expect(r.problems).toEqual([]);
  expect(r.highest).toEqual({});
  // Static: no program interpreter, no shared library needed.
  expect(execFileSync('readelf', ['-d', '-W', file], { encoding: 'utf8' })).not.toContain('(NEEDED)');
});

test('the shepherd has no C library linked in: its own _start, no glibc start-up (native/nolibc.h)', () => {
  const file = path.join(root, 'build', 'Release', 'unixproc-shepherd');
  const symbols = execFileSync('nm', [file], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() as string);
  expect(symbols).toContain('_start');
  expect(symbols).toContain('nl_start_c');
  // What a statically linked glibc brings, and costs at every start (cpuid in the VM).
  for (const glibc of ['__libc_start_main', 'init_cacheinfo', '_dl_relocate_static_pie', 'malloc', 'printf']) {
    expect(symbols).not.toContain(glibc);
  }
  // Small: a static glibc program is ~1 MB.
  expect(fs.statSync(file).size).toBeLessThan(128 * 1024);
});

const prebuilds = checker.glibcPrebuilds(root);
(prebuilds.length > 0 ? test.each(prebuilds) : test.skip.each(['(no prebuilds: run npm run prebuild)']))(
  'the glibc prebuild %s needs at most GLIBC_2.28',
  (file) => {
    expect(checker.check(file).problems).toEqual([]);
  },
);

test('a binary that calls a glibc 2.34 function is reported, with the symbol named', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-glibc-'));
  try {
    const src = path.join(work, 'new.c');
    fs.writeFileSync(
      src,
      '#define _GNU_SOURCE\n#include <spawn.h>\nint f(posix_spawn_file_actions_t* fa) { return posix_spawn_file_actions_addclosefrom_np(fa, 3); }\n',
    );
    const so = path.join(work, 'new.so');
    execFileSync('cc', ['-shared', '-fPIC', '-o', so, src]);
    const r = checker.check(so);
    expect(r.highest.GLIBC).toBe('2.34');
    expect(r.problems).toEqual(['GLIBC_2.34 > GLIBC_2.28 (posix_spawn_file_actions_addclosefrom_np)']);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
