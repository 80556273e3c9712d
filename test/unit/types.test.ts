// The public types tell the truth: test/types/usage.ts (expected usages, and misuses each
// marked `@ts-expect-error`: a misspelt signal, an unknown option, a former name, an
// internal) type-checks. An expect-error that no longer errors fails the check too.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

test('tsc --noEmit -p test/types passes', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', 'test/types'], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
  expect({ status: r.status, output: `${r.stdout}${r.stderr}` }).toEqual({ status: 0, output: '' });
}, 130000);
