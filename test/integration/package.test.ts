/**
 * The package as a user gets it: `npm pack`, installed into a scratch project, loaded
 * from CommonJS `require` and ESM `import`, type-checked from TypeScript, with the
 * prebuilt N-API binary (prebuildify) loaded and no compilation at install time.
 *
 * The repo is copied first so that building and packing never touch the build/ and
 * dist/ that other test files are using at the same moment.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
let work: string;
let app: string;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'unixproc-pack-'));
  const src = path.join(work, 'src');
  fs.mkdirSync(src);
  for (const entry of ['package.json', 'binding.gyp', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'native', 'lib', 'scripts']) {
    fs.cpSync(path.join(root, entry), path.join(src, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
  run('npm', ['run', 'prebuild'], src);
  const tarball = run('npm', ['pack', '--silent'], src).trim().split('\n').pop() as string;
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  run('npm', ['install', '--prefer-offline', path.join(src, tarball)], app);
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the tarball ships the prebuilt binary and installs without compiling', () => {
  const installed = path.join(app, 'node_modules', 'unixproc');
  const prebuilds = fs.readdirSync(path.join(installed, 'prebuilds'));
  expect(prebuilds).toContain(`linux-${process.arch}`);
  expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  expect(fs.existsSync(path.join(installed, 'lib'))).toBe(false);
});

test('CommonJS require of unixproc/os and unixproc loads and calls the addon', () => {
  const out = run(
    'node',
    ['-e', "const os = require('unixproc/os'); const u = require('unixproc'); console.log(JSON.stringify([os.getpid(), process.pid, typeof u.isErrnoException, require.resolve('unixproc/os')]))"],
    app,
  );
  const [pid, selfPid, guard, resolved] = JSON.parse(out);
  expect(pid).toBe(selfPid);
  expect(guard).toBe('function');
  expect(resolved).toBe(path.join(app, 'node_modules', 'unixproc', 'dist', 'os', 'index.js'));
});

test('ESM import of unixproc/os and unixproc loads and calls the addon', () => {
  const out = run(
    'node',
    [
      '--input-type=module',
      '-e',
      "import { getpid, getsid } from 'unixproc/os'; import * as u from 'unixproc'; import os from 'unixproc/os';" +
        'console.log(JSON.stringify([getpid(), process.pid, getsid(0) > 0, typeof u.isErrnoException, os.getpid === getpid]))',
    ],
    app,
  );
  expect(JSON.parse(out)).toEqual([expect.any(Number), expect.any(Number), true, 'function', true]);
  const [pid, selfPid] = JSON.parse(out);
  expect(pid).toBe(selfPid);
});

test('TypeScript sees the shipped types through the exports map', () => {
  fs.writeFileSync(
    path.join(app, 'check.ts'),
    [
      "import { getpid, getsid } from 'unixproc/os';",
      "import { isErrnoException } from 'unixproc';",
      'const pid: number = getpid();',
      'const sid: number = getsid(pid);',
      'const ok: boolean = isErrnoException(new Error());',
      '// @ts-expect-error getsid takes a number, not a string',
      "getsid('x');",
      'export { sid, ok };',
      '',
    ].join('\n'),
  );
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = run('node', [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), 'check.ts'], app);
  expect(out).toBe('');
});
