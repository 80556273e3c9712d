/**
 * A scratch copy of the package, for tests that build, pack or install it: building into
 * the working tree's dist/ would change files other test files are loading at that moment.
 * The copy has what `npm pack` needs (sources, scripts, docs), node_modules as a symlink to
 * the repository's, and none of the working tree's build output (dist/, build/, prebuilds/).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** What the copy holds: everything package.json's `files` names, and what builds it. */
const ENTRIES = [
  'package.json',
  'package-lock.json',
  'README.md',
  'LICENSE',
  'CONTRIBUTING.md',
  'binding.gyp',
  'tsconfig.json',
  'tsconfig.build.json',
  'typedoc.json',
  'native',
  'lib',
  'scripts',
  'docs',
  'fork-addon',
];

/** Copies the package into `dir` (which must exist) and returns `dir`. */
export function copyPackage(dir: string): string {
  for (const entry of ENTRIES) {
    if (!fs.existsSync(path.join(ROOT, entry))) continue;
    // fork-addon/build and fork-addon/prebuilds are the working tree's own builds.
    const own = (p: string): boolean => !['build', 'prebuilds'].includes(path.relative(path.join(ROOT, 'fork-addon'), p));
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true, filter: own });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** npm without its network chatter; `env` is added to this process's environment. */
export function npm(args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      ...env,
    },
  });
}
